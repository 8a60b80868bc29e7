import type { CommandSpec } from '../command-spec.js';
import { runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { formatRecord } from '../format.js';

interface ShowArgs extends GlobalArgs {
    id: string;
}

/** `hyperprov show <id>`: one record by id (any version). */
export function showCommand(ctx: CliContext): CommandSpec<ShowArgs> {
    return {
        command: 'show <id>',
        describe: 'Show the record with this id',
        positionals: [{ name: 'id', demandOption: true }],
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const record = await withTracker(ctx, argv, (tracker) => tracker.show(String(argv.id)));
                out.result(record, () => formatRecord(record));
            }),
    };
}
