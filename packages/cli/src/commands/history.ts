import type { CommandSpec } from '../command-spec.js';
import { LIMITS } from '@hyperprov/chaincode/protocol';
import { parseIntegerArg, runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { formatPage, formatRecordLine, shellQuote } from '../format.js';

interface HistoryArgs extends GlobalArgs {
    key: string;
    pageSize?: string;
    bookmark?: string;
}

/** `hyperprov history <key> [--page-size N] [--bookmark B]`: versions of a key, newest first. */
export function historyCommand(ctx: CliContext): CommandSpec<HistoryArgs> {
    return {
        command: 'history <key>',
        describe: 'List the versions of a key, newest first (all of them, or one page with --page-size)',
        positionals: [{ name: 'key', demandOption: true }],
        options: {
            'page-size': { type: 'string', describe: `versions per page, 1-${LIMITS.pageSize} (default: all versions)` },
            bookmark: { type: 'string', describe: 'bookmark printed by the previous page' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const key = String(argv.key);
                const pageSize = parseIntegerArg(argv.pageSize, '--page-size', 1, LIMITS.pageSize);
                await withTracker(ctx, argv, async (tracker) => {
                    if (pageSize === undefined && argv.bookmark === undefined) {
                        // Every version, streamed page by page.
                        return out.list(tracker.client.historyAll(key, { pageSize: LIMITS.pageSize }), {
                            head: { key },
                            tail: { bookmark: '' },
                            line: formatRecordLine,
                            empty: '(no records)',
                        });
                    }
                    const page = await tracker.history(key, { pageSize: pageSize ?? 100, bookmark: argv.bookmark ?? '' });
                    out.result({ key, ...page }, () =>
                        formatPage(page, (bookmark) => `hyperprov history ${shellQuote(key)} --page-size ${pageSize ?? 100} --bookmark ${shellQuote(bookmark)}`),
                    );
                });
            }),
    };
}
