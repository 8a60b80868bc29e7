import type { CommandSpec } from '../command-spec.js';
import { LIMITS } from '@hyperprov/chaincode/protocol';
import { parseIntegerArg, runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { formatPage, formatRecordLine, shellQuote } from '../format.js';

interface RangeArgs extends GlobalArgs {
    start: string;
    end: string;
    pageSize?: string;
    bookmark?: string;
    all: boolean;
}

/** `hyperprov range <start> <end> [--page-size N] [--bookmark B] [--all]`. */
export function rangeCommand(ctx: CliContext): CommandSpec<RangeArgs> {
    return {
        command: 'range <start> <end>',
        describe: 'List the latest record of every key in [start, end) ("" "" = all keys), one page at a time',
        positionals: [{ name: 'start', demandOption: true, describe: 'first key (inclusive); "" for the beginning' }, { name: 'end', demandOption: true, describe: 'last key (exclusive); "" for the end' }],
        options: {
            'page-size': { type: 'string', describe: `records per page, 1-${LIMITS.pageSize} (default 100)` },
            bookmark: { type: 'string', describe: 'bookmark printed by the previous page' },
            all: { type: 'boolean', default: false, describe: 'fetch every page' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const start = String(argv.start);
                const end = String(argv.end);
                const pageSize = parseIntegerArg(argv.pageSize, '--page-size', 1, LIMITS.pageSize) ?? 100;
                const bookmark = argv.bookmark ?? '';
                await withTracker(ctx, argv, async (tracker) => {
                    if (argv.all) {
                        // Streamed page by page: memory holds one page whatever the number of keys.
                        return out.list(tracker.client.rangeAll(start, end, { pageSize, bookmark }), {
                            tail: { bookmark: '' },
                            line: formatRecordLine,
                            empty: '(no records)',
                        });
                    }
                    const page = await tracker.range(start, end, { pageSize, bookmark });
                    out.result(page, () =>
                        formatPage(page, (next) => `hyperprov range ${shellQuote(start)} ${shellQuote(end)} --page-size ${pageSize} --bookmark ${shellQuote(next)}`),
                    );
                });
            }),
    };
}
