import type { CommandSpec } from '../command-spec.js';
import { runCommand, withTracker, type CliContext, type GlobalArgs, localPath } from '../context.js';
import { formatSize } from '../format.js';

interface FetchArgs extends GlobalArgs {
    target: string;
    out: string;
    force: boolean;
}

/** `hyperprov fetch <key|id> <out> [--force]`: writes the bytes only if they match the record. */
export function fetchCommand(ctx: CliContext): CommandSpec<FetchArgs> {
    return {
        command: 'fetch <target> <out>',
        describe: 'Copy the recorded bytes of a key (latest version) or record id to <out>, verifying the checksum; writes nothing on a mismatch',
        positionals: [{ name: 'target', demandOption: true, describe: 'key or record id' }, { name: 'out', demandOption: true, describe: 'file to write, or an existing directory' }],
        options: {
            force: { type: 'boolean', default: false, describe: 'replace an existing file' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const result = await withTracker(ctx, argv, (tracker) =>
                    tracker.fetch(String(argv.target), localPath(ctx, String(argv.out)), { force: argv.force, signal: ctx.signal }),
                );
                out.result(result, () => `wrote ${result.path} (${formatSize(result.bytes)}), matching ${result.record.checksum} of record ${result.record.id}`);
            }),
    };
}
