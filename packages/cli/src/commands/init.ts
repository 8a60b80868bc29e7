import path from 'node:path';
import type { CommandSpec } from '../command-spec.js';
import { runCommand, type CliContext, type GlobalArgs } from '../context.js';

interface InitArgs extends GlobalArgs {
    store?: string;
    sshfsRemote?: string;
    durability?: 'fsync' | 'none';
    mspId?: string;
}

/** `hyperprov init [--dir D] [--store URL]`: creates `.hyperprov/` with config, identity and ledger. */
export function initCommand(ctx: CliContext): CommandSpec<InitArgs> {
    return {
        command: 'init',
        describe: 'Create .hyperprov/ (config, identity, embedded ledger, local object store) in --dir or here',
        options: {
            store: { type: 'string', describe: 'store URL for recorded bytes: a directory (relative to --dir), file:///dir, s3://bucket/prefix?endpoint=…, sshfs:///mountpoint (default: .hyperprov/objects)' },
            'sshfs-remote': { type: 'string', describe: 'user@host:/path to mount on the sshfs:// mountpoint when it is not mounted' },
            durability: { choices: ['fsync', 'none'] as const, describe: 'ledger durability (default fsync)' },
            'msp-id': { type: 'string', describe: 'MSP id of the new identity (default LocalMSP)' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const { initTracker } = await import('@hyperprov/tracker');
                // Loaded here, not at start-up: store URLs need the tracker's store table.
                const { storeUrlFromOptions } = await import('../store-option.js');
                // A bare --store path belongs to the project being made, so it is relative to --dir.
                const dir = path.resolve(ctx.cwd, argv.dir ?? '.');
                const store = storeUrlFromOptions(argv.store, argv.sshfsRemote, dir);
                const result = await initTracker({
                    dir,
                    ...(store !== undefined && { store }),
                    ...(argv.durability !== undefined && { durability: argv.durability }),
                    ...(argv.mspId !== undefined && { mspId: argv.mspId }),
                });
                out.result(
                    { projectDir: result.projectDir, hyperprovDir: result.hyperprovDir, config: result.config, identity: { mspId: result.identity.mspId } },
                    () =>
                        [
                            `initialised ${result.hyperprovDir}`,
                            `ledger    ${result.config.ledger.backend}`,
                            `store     ${result.config.store}`,
                            `identity  ${result.identity.mspId}`,
                            'next: hyperprov record <file> --key <name>',
                        ].join('\n'),
                );
            }),
    };
}
