import type { Argv, CommandModule } from 'yargs';
import { runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { formatSize } from '../format.js';

interface FetchArgs extends GlobalArgs {
    target: string;
    out: string;
    force: boolean;
}

/** `hyperprov fetch <key|id> <out> [--force]`: writes the bytes only if they match the record. */
export function fetchCommand(ctx: CliContext): CommandModule<GlobalArgs, FetchArgs> {
    return {
        command: 'fetch <target> <out>',
        describe: 'Copy the recorded bytes of a key (latest version) or record id to <out>, verifying the checksum; writes nothing on a mismatch',
        builder: (y: Argv<GlobalArgs>) =>
            y
                .positional('target', { type: 'string', demandOption: true, describe: 'key or record id' })
                .positional('out', { type: 'string', demandOption: true, describe: 'file to write, or an existing directory' })
                .option('force', { type: 'boolean', default: false, describe: 'replace an existing file' }) as unknown as Argv<FetchArgs>,
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const result = await withTracker(ctx, argv, (tracker) =>
                    tracker.fetch(String(argv.target), String(argv.out), { force: argv.force, signal: ctx.signal }),
                );
                out.result(result, () => `wrote ${result.path} (${formatSize(result.bytes)}), matching ${result.record.checksum} of record ${result.record.id}`);
            }),
    };
}
