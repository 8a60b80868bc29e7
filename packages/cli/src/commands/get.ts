import type { CommandSpec } from '../command-spec.js';
import { runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { formatRecord } from '../format.js';

interface GetArgs extends GlobalArgs {
    key: string;
}

/** `hyperprov get <key>`: the latest record of a key. */
export function getCommand(ctx: CliContext): CommandSpec<GetArgs> {
    return {
        command: 'get <key>',
        describe: 'Show the latest record of a key',
        positionals: [{ name: 'key', demandOption: true }],
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const record = await withTracker(ctx, argv, (tracker) => tracker.get(String(argv.key)));
                out.result(record, () => formatRecord(record));
            }),
    };
}
