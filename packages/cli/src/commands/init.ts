import path from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import type { CommandSpec } from '../command-spec.js';
import { runCommand, type CliContext, type GlobalArgs } from '../context.js';

interface InitArgs extends GlobalArgs {
    store?: string;
    sshfsRemote?: string;
    durability?: 'fsync' | 'none';
    mspId?: string;
    ledger: 'embedded' | 'fabric';
    connection?: string;
    org?: string;
    user?: string;
}

/**
 * `hyperprov init [--dir D] [--store URL] [--ledger fabric --connection F [--org N] [--user U]]`:
 * creates `.hyperprov/` with config, identity and ledger.
 */
export function initCommand(ctx: CliContext): CommandSpec<InitArgs> {
    return {
        command: 'init',
        describe: 'Create .hyperprov/ (config, identity, embedded ledger or a Fabric connection, local object store) in --dir or here',
        options: {
            store: { type: 'string', describe: 'store URL for recorded bytes: a directory (relative to --dir), file:///dir, s3://bucket/prefix?endpoint=…, sshfs:///mountpoint (default: .hyperprov/objects)' },
            'sshfs-remote': { type: 'string', describe: 'user@host:/path to mount on the sshfs:// mountpoint when it is not mounted' },
            durability: { choices: ['fsync', 'none'] as const, describe: 'ledger durability (default fsync)' },
            'msp-id': { type: 'string', describe: 'MSP id of the new identity (default LocalMSP; embedded ledger only)' },
            ledger: { choices: ['embedded', 'fabric'] as const, default: 'embedded', describe: 'where records go: the embedded ledger, or a Hyperledger Fabric network (needs --connection)' },
            connection: { type: 'string', describe: 'Fabric connection file (`hyperprov-network up` writes one; copied into the project)' },
            org: { type: 'string', describe: 'Fabric organisation (name or MSP id) whose peer is the gateway (default the first in the file)' },
            user: { type: 'string', describe: "that organisation's user in the connection file to sign with (default User1); `hyperprov enroll` can switch later" },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const { initTracker } = await import('@hyperprov/tracker');
                // Loaded here, not at start-up: store URLs need the tracker's store table.
                const { storeUrlFromOptions } = await import('../store-option.js');
                // A bare --store path belongs to the project being made, so it is relative to --dir.
                const dir = path.resolve(ctx.cwd, argv.dir ?? '.');
                const store = storeUrlFromOptions(argv.store, argv.sshfsRemote, dir);
                const fabric = fabricOptions(argv, ctx.cwd);
                const result = await initTracker({
                    dir,
                    ...(store !== undefined && { store }),
                    ...(argv.durability !== undefined && { durability: argv.durability }),
                    ...(argv.mspId !== undefined && { mspId: argv.mspId }),
                    ...(fabric && { fabric }),
                });
                out.result(
                    { projectDir: result.projectDir, hyperprovDir: result.hyperprovDir, config: result.config, identity: { mspId: result.identity.mspId } },
                    () =>
                        [
                            `initialised ${result.hyperprovDir}`,
                            `ledger    ${result.config.ledger.backend}${result.config.ledger.backend === 'fabric' ? ` (${result.config.ledger.org ?? ''} via ${argv.connection ?? ''})` : ''}`,
                            `store     ${result.config.store}`,
                            `identity  ${result.identity.mspId}`,
                            'next: hyperprov record <file> --key <name>',
                        ].join('\n'),
                );
            }),
    };
}

/** The Fabric options, checked together: each needs the others to mean something. */
function fabricOptions(argv: InitArgs, cwd: string): { connection: string; org?: string; user?: string } | undefined {
    if (argv.ledger !== 'fabric') {
        const stray = (['connection', 'org', 'user'] as const).filter((name) => argv[name] !== undefined);
        if (stray.length > 0) {
            throw new TrackerError('INVALID_ARGUMENT', `${stray.map((n) => `--${n}`).join(', ')} only apply to a Fabric ledger: add --ledger fabric`);
        }
        return undefined;
    }
    if (argv.connection === undefined) {
        throw new TrackerError(
            'INVALID_ARGUMENT',
            '--ledger fabric needs --connection <file>: the connection file of the network (`hyperprov-network up` prints the path of the local one)',
        );
    }
    return {
        connection: path.resolve(cwd, argv.connection),
        ...(argv.org !== undefined && { org: argv.org }),
        ...(argv.user !== undefined && { user: argv.user }),
    };
}
