import type { Argv, CommandModule } from 'yargs';
import { runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';

/** `hyperprov status`: project, ledger backend and height, store. */
export function statusCommand(ctx: CliContext): CommandModule<GlobalArgs, GlobalArgs> {
    return {
        command: 'status',
        describe: 'Show the project, its ledger (backend, height) and its store',
        builder: (y: Argv<GlobalArgs>) => y,
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const status = await withTracker(ctx, argv, (tracker) => tracker.status());
                out.result(status, () =>
                    [`project  ${status.projectDir}`, `ledger   ${status.ledger.backend}, height ${status.ledger.height}`, `store    ${status.store}`].join('\n'),
                );
            }),
    };
}
