import type { Argv, CommandModule } from 'yargs';
import { runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { formatRecord } from '../format.js';

interface GetArgs extends GlobalArgs {
    key: string;
}

/** `hyperprov get <key>`: the latest record of a key. */
export function getCommand(ctx: CliContext): CommandModule<GlobalArgs, GetArgs> {
    return {
        command: 'get <key>',
        describe: 'Show the latest record of a key',
        builder: (y: Argv<GlobalArgs>) => y.positional('key', { type: 'string', demandOption: true }) as unknown as Argv<GetArgs>,
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const record = await withTracker(ctx, argv, (tracker) => tracker.get(String(argv.key)));
                out.result(record, () => formatRecord(record));
            }),
    };
}
