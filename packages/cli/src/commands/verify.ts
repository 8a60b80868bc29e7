import type { CommandSpec } from '../command-spec.js';
import type { VerifyReport } from '@hyperprov/tracker';
import { TrackerError, type TrackerErrorCode } from '@hyperprov/errors';
import { runCommand, withTracker, type CliContext, type GlobalArgs, localPath } from '../context.js';
import { EXIT_CODES } from '@hyperprov/errors';
import { formatSize } from '../format.js';
import type { CliOutput } from '../output.js';

interface VerifyArgs extends GlobalArgs {
    target?: string;
    all: boolean;
    ledger: boolean;
    against?: string;
}

/** `hyperprov verify [<key|id>|--all] [--ledger]`: exits non-zero naming every mismatch. */
export function verifyCommand(ctx: CliContext): CommandSpec<VerifyArgs> {
    return {
        command: 'verify [target]',
        describe: 'Re-hash stored bytes against their records (a key/id, or --all) and/or check the ledger (--ledger); no options: everything',
        positionals: [{ name: 'target', describe: 'key (latest version) or record id' }],
        options: {
            all: { type: 'boolean', default: false, describe: 'check the bytes of every version of every key' },
            ledger: { type: 'boolean', default: false, describe: 'check the ledger: block hashes, signatures, state' },
            against: { type: 'string', describe: 'with a dataset key/id: compare this directory with the recorded manifest' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                if (argv.target !== undefined && argv.all) {
                    throw new TrackerError('INVALID_ARGUMENT', 'give either a key/id or --all, not both');
                }
                if (argv.against !== undefined) return verifyAgainst(ctx, argv, out);
                const report = await withTracker(ctx, argv, (tracker) =>
                    tracker.verify({
                        ...(argv.target !== undefined && { target: String(argv.target) }),
                        all: argv.all,
                        ledger: argv.ledger,
                        signal: ctx.signal,
                    }),
                );
                out.result(report, () => renderReport(report));
                return report.ok ? 0 : EXIT_CODES[failureCode(report)];
            }),
    };
}

/** `verify <dataset> --against <dir>`: the directory against the recorded manifest. */
async function verifyAgainst(ctx: CliContext, argv: VerifyArgs, out: CliOutput): Promise<number> {
    if (argv.target === undefined || argv.all || argv.ledger) {
        throw new TrackerError('INVALID_ARGUMENT', '--against <dir> needs a dataset key or record id, and no --all or --ledger');
    }
    const result = await withTracker(ctx, argv, (tracker) => tracker.verifyDataset(String(argv.target), localPath(ctx, String(argv.against)), { signal: ctx.signal }));
    const report = {
        ok: result.ok,
        record: { id: result.record.id, key: result.record.key },
        counts: result.counts,
        added: result.added.map((entry) => entry.path),
        removed: result.removed.map((entry) => entry.path),
        modified: result.modified.map((entry) => ({ path: entry.path, change: entry.change })),
        skipped: result.skipped.map((entry) => entry.path),
    };
    out.result(report, () => {
        const c = result.counts;
        const lines = [`${argv.against} against ${result.record.key} (record ${result.record.id}):`];
        lines.push(`  ${c.unchanged} unchanged, ${c.added} added, ${c.removed} removed, ${c.modified} modified`);
        for (const path of report.added) lines.push(`  ADDED     ${path}`);
        for (const path of report.removed) lines.push(`  REMOVED   ${path}`);
        for (const entry of report.modified) lines.push(`  MODIFIED  ${entry.path} (${entry.change})`);
        lines.push(result.ok ? 'verify: OK' : 'verify: FAILED');
        return lines.join('\n');
    });
    return result.ok ? 0 : EXIT_CODES.CHECKSUM_MISMATCH;
}

/** The exit code of a failed verification: the most serious problem found. */
function failureCode(report: VerifyReport): TrackerErrorCode {
    if (report.ledger && !report.ledger.ok) return 'LEDGER_CORRUPT';
    const statuses = new Set(report.objects?.problems.map((p) => p.status));
    if (statuses.has('mismatch')) return 'CHECKSUM_MISMATCH';
    if (statuses.has('missing')) return 'NOT_FOUND';
    return 'STORE_UNAVAILABLE';
}

/** Ledger problems printed for humans; --json has them all. */
const MAX_SHOWN = 10;

function renderReport(report: VerifyReport): string {
    const lines: string[] = [];
    if (report.objects) {
        const failed = report.objects.problems.filter((p) => p.status !== 'unchecked');
        lines.push(`objects: ${report.objects.checked - failed.length} of ${report.objects.checked} match their records`);
        for (const problem of report.objects.problems) lines.push(`  ${problem.status.toUpperCase()}: ${problem.message ?? problem.key}`);
    }
    if (report.orphans) {
        const orphans = report.orphans;
        if (orphans.error !== undefined) {
            lines.push(`store: could not count objects no record references: ${orphans.error}`);
        } else if (orphans.count > 0) {
            const recent = orphans.recent > 0 ? `, ${orphans.recent} written in the last hour, maybe by a record still running` : '';
            lines.push(
                `store: ${orphans.count} stored ${orphans.count === 1 ? 'object' : 'objects'} no record references (${formatSize(orphans.bytes)}${recent}), left by failed or killed records; ` +
                    '`hyperprov gc` lists them, `hyperprov gc --delete` removes them',
            );
        }
    }
    if (report.ledger) {
        lines.push(`ledger: ${report.ledger.ok ? 'ok' : 'CORRUPT'} (height ${report.ledger.height})`);
        // The first problems name the cause (the first bad block comes first); the rest are
        // usually its consequences, so a terminal gets a bounded list.
        const shown = report.ledger.problems.slice(0, MAX_SHOWN);
        for (const problem of shown) {
            const where = [problem.block !== undefined ? `block ${problem.block}` : '', problem.key !== undefined ? `key ${JSON.stringify(problem.key)}` : '']
                .filter(Boolean)
                .join(', ');
            // Messages often name their block already; do not say it twice.
            const named = problem.block !== undefined && problem.message.startsWith(`block ${problem.block}`);
            lines.push(`  ${where && !named ? `${where}: ` : ''}${problem.message}`);
        }
    }
    if (report.ledger && report.ledger.problems.length > MAX_SHOWN) {
        lines.push(`  … and ${report.ledger.problems.length - MAX_SHOWN} more (--json lists all)`);
    }
    for (const note of report.ledger?.notes ?? []) lines.push(`  note: ${note}`);
    lines.push(report.ok ? 'verify: OK' : 'verify: FAILED');
    return lines.join('\n');
}
