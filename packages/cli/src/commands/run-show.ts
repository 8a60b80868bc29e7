import type { CommandSpec } from '../command-spec.js';
import { LIMITS } from '@hyperprov/chaincode/protocol';
import { parseIntegerArg, runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { shellQuote } from '../format.js';
import { formatRunLine } from './runs.js';

interface RunArgs extends GlobalArgs {
    id: string;
    pageSize?: string;
    bookmark?: string;
}

/** `hyperprov run <id>`: one run's summary and its checkpoints, oldest first. */
export function runCommandSpec(ctx: CliContext): CommandSpec<RunArgs> {
    return {
        command: 'run <id>',
        describe: "Show one training run: its summary and its checkpoints (epoch, record id, metrics), oldest first",
        positionals: [{ name: 'id', demandOption: true, describe: 'run id (`hyperprov runs` lists them)' }],
        options: {
            'page-size': { type: 'string', describe: `checkpoints per page, 1-${LIMITS.pageSize} (default 1000)` },
            bookmark: { type: 'string', describe: 'bookmark printed by the previous page' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const pageSize = parseIntegerArg(argv.pageSize, '--page-size', 1, LIMITS.pageSize) ?? LIMITS.pageSize;
                await withTracker(ctx, argv, async (tracker) => {
                    const details = await tracker.run(String(argv.id), { pageSize, bookmark: argv.bookmark ?? '' });
                    out.result(details, () => {
                        const lines = [formatRunLine(details.summary)];
                        for (const record of details.records.items) {
                            const metrics = record.meta.metrics !== undefined ? `  ${JSON.stringify(record.meta.metrics)}` : '';
                            lines.push(`  epoch ${String(record.meta.epoch ?? '-').padStart(4)}  ${record.id}  ${record.key}  ${record.checksum.slice(0, 19)}…${metrics}`);
                        }
                        if (details.records.bookmark) lines.push(`more: hyperprov run ${shellQuote(String(argv.id))} --page-size ${pageSize} --bookmark ${shellQuote(details.records.bookmark)}`);
                        return lines.join('\n');
                    });
                });
            }),
    };
}
