import type { CommandSpec } from '../command-spec.js';
import { parseIntegerArg, runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { formatSize } from '../format.js';

interface GcArgs extends GlobalArgs {
    delete: boolean;
    minAge?: string;
    store?: string;
}

function plural(count: number, noun: string): string {
    return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Orphans printed for humans; --json has them all. */
const MAX_SHOWN = 20;

/** `hyperprov gc [--delete] [--min-age S] [--store URL]`: objects no record references. */
export function gcCommand(ctx: CliContext): CommandSpec<GcArgs> {
    return {
        command: 'gc',
        describe: 'List stored objects no record references (left by failed or killed records); --delete removes them',
        options: {
            delete: { type: 'boolean', default: false, describe: 'remove the orphans (default: only list them)' },
            'min-age': { type: 'string',
                    describe: 'keep objects written less than this many seconds ago: a record may still be committing them (default 3600, one hour)', },
            store: { type: 'string', describe: 'store URL to scan instead of the configured store' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const minAge = parseIntegerArg(argv.minAge, '--min-age', 0, 10 * 365 * 24 * 3600);
                // Loaded here, not at start-up: store URLs need the tracker's store table.
                const { storeUrlFromOptions } = await import('../store-option.js');
                const store = storeUrlFromOptions(argv.store, undefined, ctx.cwd);
                const report = await withTracker(ctx, argv, (tracker) =>
                    tracker.gc({
                        delete: argv.delete,
                        ...(minAge !== undefined && { minAgeMs: minAge * 1000 }),
                        ...(store !== undefined && { store }),
                        signal: ctx.signal,
                    }),
                );
                out.result(report, () => {
                    const recent = report.orphans.filter((orphan) => orphan.recent).length;
                    const lines = [
                        `store ${report.store}: ${plural(report.objects, 'object')}, ${report.referenced} referenced by records, ` +
                            `${plural(report.orphans.length, 'orphan')} (${formatSize(report.orphanBytes)})` +
                            (recent > 0 ? `, ${recent} of them newer than ${report.minAgeMs / 1000} s and kept` : ''),
                    ];
                    for (const orphan of report.orphans.slice(0, MAX_SHOWN)) {
                        lines.push(`  ORPHAN ${orphan.pointer} (${formatSize(orphan.size)}${orphan.modified ? `, ${orphan.modified}` : ''})${orphan.recent ? ' recent, kept' : ''}`);
                    }
                    if (report.orphans.length > MAX_SHOWN) lines.push(`  … and ${report.orphans.length - MAX_SHOWN} more (--json lists all)`);
                    if (report.dryRun) {
                        lines.push(
                            report.orphans.length - recent > 0
                                ? 'dry run: nothing deleted; `hyperprov gc --delete` removes the orphans older than the minimum age'
                                : recent > 0
                                  ? 'dry run: nothing deleted; once no record is running, `hyperprov gc --delete --min-age 0` removes the recent ones too'
                                  : 'dry run: nothing deleted',
                        );
                    } else {
                        lines.push(`deleted ${plural(report.deleted, 'orphan')} (${formatSize(report.deletedBytes)})`);
                    }
                    return lines.join('\n');
                });
            }),
    };
}
