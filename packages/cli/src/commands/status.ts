import type { CommandSpec } from '../command-spec.js';
import { runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { EXIT_CODES } from '@hyperprov/errors';

/**
 * `hyperprov status`: project, ledger backend and height, store, and what is wrong with the
 * ledger's files if anything is (exit LEDGER_CORRUPT when they are damaged), so "all is well" is
 * never printed over a ledger that refuses writes.
 */
export function statusCommand(ctx: CliContext): CommandSpec<GlobalArgs> {
    return {
        command: 'status',
        describe: 'Show the project, its ledger (backend, height) and its store',
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const status = await withTracker(ctx, argv, (tracker) => tracker.status());
                const attention = status.ledger.attention;
                out.result(status, () =>
                    [
                        `project  ${status.projectDir}`,
                        `ledger   ${status.ledger.backend}, height ${status.ledger.height}`,
                        ...(attention ? [`         ${attention.kind === 'damaged' ? 'DAMAGED' : 'note'}: ${attention.message}`] : []),
                        `store    ${status.store}`,
                        `identity ${status.identity.subject} (${status.identity.mspId})`,
                    ].join('\n'),
                );
                return attention?.kind === 'damaged' ? EXIT_CODES.LEDGER_CORRUPT : 0;
            }),
    };
}
