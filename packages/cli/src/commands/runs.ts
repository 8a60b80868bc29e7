import type { CommandSpec } from '../command-spec.js';
import { LIMITS } from '@hyperprov/chaincode/protocol';
import type { RunSummary } from '@hyperprov/tracker';
import { parseIntegerArg, runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { shellQuote } from '../format.js';

interface RunsArgs extends GlobalArgs {
    pageSize?: string;
    bookmark?: string;
}

/** `hyperprov runs`: training runs from the contract's runs index. */
export function runsCommand(ctx: CliContext): CommandSpec<RunsArgs> {
    return {
        command: 'runs',
        describe: 'List training runs: id, model key, epochs, first and last time, last metrics',
        options: {
            'page-size': { type: 'string', describe: `runs per page, 1-${LIMITS.pageSize} (default 100)` },
            bookmark: { type: 'string', describe: 'bookmark printed by the previous page' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const pageSize = parseIntegerArg(argv.pageSize, '--page-size', 1, LIMITS.pageSize) ?? 100;
                await withTracker(ctx, argv, async (tracker) => {
                    const page = await tracker.runs({ pageSize, bookmark: argv.bookmark ?? '' });
                    out.result(page, () => {
                        const lines = page.items.map(formatRunLine);
                        if (lines.length === 0) lines.push('(no runs; `hyperprov epoch` records checkpoints of a run)');
                        if (page.bookmark) lines.push(`more: hyperprov runs --page-size ${pageSize} --bookmark ${shellQuote(page.bookmark)}`);
                        return lines.join('\n');
                    });
                });
            }),
    };
}

/** One line per run. */
export function formatRunLine(run: RunSummary): string {
    const metrics = run.lastMetrics ? `  ${JSON.stringify(run.lastMetrics)}` : '';
    const epoch = run.lastEpoch !== undefined ? ` (last epoch ${run.lastEpoch})` : '';
    return `${run.run}  ${run.keys.join(',')}  ${run.epochs} checkpoint${run.epochs === 1 ? '' : 's'}${epoch}  ${run.first} .. ${run.last}${metrics}`;
}
