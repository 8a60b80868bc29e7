import type { Argv, CommandModule } from 'yargs';
import { runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { formatRecord } from '../format.js';

interface ShowArgs extends GlobalArgs {
    id: string;
}

/** `hyperprov show <id>`: one record by id (any version). */
export function showCommand(ctx: CliContext): CommandModule<GlobalArgs, ShowArgs> {
    return {
        command: 'show <id>',
        describe: 'Show the record with this id',
        builder: (y: Argv<GlobalArgs>) => y.positional('id', { type: 'string', demandOption: true }) as unknown as Argv<ShowArgs>,
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const record = await withTracker(ctx, argv, (tracker) => tracker.show(String(argv.id)));
                out.result(record, () => formatRecord(record));
            }),
    };
}
