import type { Argv, CommandModule } from 'yargs';
import type { VerifyReport } from '../../tracker.js';
import { TrackerError, type TrackerErrorCode } from '../../errors.js';
import { runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { EXIT_CODES } from '../exit-codes.js';

interface VerifyArgs extends GlobalArgs {
    target?: string;
    all: boolean;
    ledger: boolean;
}

/** `hyperprov verify [<key|id>|--all] [--ledger]`: exits non-zero naming every mismatch. */
export function verifyCommand(ctx: CliContext): CommandModule<GlobalArgs, VerifyArgs> {
    return {
        command: 'verify [target]',
        describe: 'Re-hash stored bytes against their records (a key/id, or --all) and/or check the ledger (--ledger); no options: everything',
        builder: (y: Argv<GlobalArgs>) =>
            y
                .positional('target', { type: 'string', describe: 'key (latest version) or record id' })
                .option('all', { type: 'boolean', default: false, describe: 'check the bytes of every version of every key' })
                .option('ledger', { type: 'boolean', default: false, describe: 'check the ledger: block hashes, signatures, state' }) as unknown as Argv<VerifyArgs>,
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                if (argv.target !== undefined && argv.all) {
                    throw new TrackerError('INVALID_ARGUMENT', 'give either a key/id or --all, not both');
                }
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

/** The exit code of a failed verification: the most serious problem found. */
function failureCode(report: VerifyReport): TrackerErrorCode {
    if (report.ledger && !report.ledger.ok) return 'LEDGER_CORRUPT';
    const statuses = new Set(report.objects?.problems.map((p) => p.status));
    if (statuses.has('mismatch')) return 'CHECKSUM_MISMATCH';
    if (statuses.has('missing')) return 'NOT_FOUND';
    return 'STORE_UNAVAILABLE';
}

function renderReport(report: VerifyReport): string {
    const lines: string[] = [];
    if (report.objects) {
        const failed = report.objects.problems.filter((p) => p.status !== 'unchecked');
        lines.push(`objects: ${report.objects.checked - failed.length} of ${report.objects.checked} match their records`);
        for (const problem of report.objects.problems) lines.push(`  ${problem.status.toUpperCase()}: ${problem.message ?? problem.key}`);
    }
    if (report.ledger) {
        lines.push(`ledger: ${report.ledger.ok ? 'ok' : 'CORRUPT'} (height ${report.ledger.height})`);
        for (const problem of report.ledger.problems) {
            const where = [problem.block !== undefined ? `block ${problem.block}` : '', problem.key !== undefined ? `key ${JSON.stringify(problem.key)}` : '']
                .filter(Boolean)
                .join(', ');
            lines.push(`  ${where ? `${where}: ` : ''}${problem.message}`);
        }
    }
    lines.push(report.ok ? 'verify: OK' : 'verify: FAILED');
    return lines.join('\n');
}
