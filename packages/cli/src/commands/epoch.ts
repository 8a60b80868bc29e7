import type { CommandSpec } from '../command-spec.js';
import { TrackerError } from '@hyperprov/errors';
import type { EpochInput } from '@hyperprov/tracker';
import { parseIntegerArg, parseMetaArg, runCommand, withTracker, type CliContext, type GlobalArgs } from '../context.js';
import { formatRecord } from '../format.js';

interface EpochArgs extends GlobalArgs {
    model: string;
    key?: string;
    epoch?: string;
    metrics?: string;
    params?: string;
    meta?: string;
    dataset: string[];
    run?: string;
    idempotencyKey?: string;
    wait: 'queued' | 'snapshotted' | 'committed';
    timeout?: string;
}

/**
 * `hyperprov epoch <model> [--epoch N] [--metrics JSON] [--dataset train=DIR]… [--run R]`: the
 * epoch hook from a shell or a trainer that can run a command. By default it waits for the commit
 * (without a project server, nobody else would record the entry before the next start).
 */
export function epochCommand(ctx: CliContext): CommandSpec<EpochArgs> {
    return {
        command: 'epoch <model>',
        describe: 'Record a training checkpoint (file or checkpoint directory) with its epoch, metrics, params, datasets and run',
        positionals: [{ name: 'model', demandOption: true, describe: 'checkpoint file or directory' }],
        options: {
            key: { type: 'string', describe: 'item name of the model (default: models/<path in the project>)' },
            epoch: { type: 'string', describe: 'epoch number' },
            metrics: { type: 'string', describe: 'JSON object of metrics, e.g. \'{"loss":0.41}\', or @file.json' },
            params: { type: 'string', describe: 'JSON object of hyper-parameters, or @file.json' },
            meta: { type: 'string', describe: 'JSON object of further metadata, or @file.json' },
            dataset: { type: 'string', array: true, default: [], describe: 'name=DIR (manifested once per content) or name=<record id or key>; repeatable' },
            run: { type: 'string', describe: 'run id tying the epochs of one training run together (default: a new one)' },
            'idempotency-key': { type: 'string', describe: 'the same key again records nothing new (safe retries)' },
            wait: { choices: ['queued', 'snapshotted', 'committed'] as const, default: 'committed' as const, describe: 'return once durable in the outbox, snapshotted, or committed' },
            timeout: { type: 'string', describe: 'seconds to wait for --wait (default 120); on timeout the epoch stays queued' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const [metrics, params, meta] = await Promise.all([parseMetaArg(ctx, argv.metrics, '--metrics'), parseMetaArg(ctx, argv.params, '--params'), parseMetaArg(ctx, argv.meta)]);
                const timeoutMs = (parseIntegerArg(argv.timeout, '--timeout', 1, 86_400) ?? 120) * 1000;
                const input: EpochInput = {
                    model: argv.model,
                    cwd: ctx.cwd,
                    datasets: parseDatasets(argv.dataset),
                    ...(argv.key !== undefined && { key: argv.key }),
                    ...(argv.epoch !== undefined && { epoch: parseIntegerArg(argv.epoch, '--epoch', 0, Number.MAX_SAFE_INTEGER) as number }),
                    ...(metrics !== undefined && { metrics }),
                    ...(params !== undefined && { params }),
                    ...(meta !== undefined && { meta }),
                    ...(argv.run !== undefined && { run: argv.run }),
                    ...(argv.idempotencyKey !== undefined && { idempotencyKey: argv.idempotencyKey }),
                };
                return withTracker(ctx, argv, async (tracker) => {
                    const handle = await tracker.epoch(input);
                    const base = { entry: handle.entry, run: handle.run, key: handle.key };
                    if (argv.wait === 'queued') {
                        out.result({ ...base, state: 'queued' }, () => `queued ${handle.entry} (run ${handle.run}, key ${handle.key}); it is recorded by the project server or at the next start`);
                        return 0;
                    }
                    const waited = argv.wait === 'snapshotted' ? handle.snapshotted.then(() => undefined) : handle.committed;
                    const outcome = await withTimeout(waited, timeoutMs, ctx.signal);
                    if (outcome === 'timeout') {
                        const status = await tracker.epochStatus(handle.entry);
                        const why = status?.error ? `; last attempt: [${status.error.code}] ${status.error.message}` : '';
                        throw new TrackerError('TIMEOUT', `epoch ${handle.entry} is still ${status?.state ?? 'queued'} after ${timeoutMs / 1000} s${why}; it stays in the outbox and is recorded by the project server or at the next start`);
                    }
                    if (outcome === undefined) {
                        out.result({ ...base, state: 'snapshotted' }, () => `snapshotted ${handle.entry} (run ${handle.run}, key ${handle.key}); the file may be overwritten now`);
                        return 0;
                    }
                    out.result({ ...base, state: 'committed', record: outcome.record, datasets: outcome.datasets, duplicate: outcome.duplicate }, () =>
                        `${formatRecord(outcome.record)}\n${outcome.duplicate ? 'already recorded' : 'recorded'}: epoch ${outcome.record.meta.epoch ?? '-'} of run ${outcome.run}`,
                    );
                    return 0;
                    // --wait queued means "return now": the entry stays for the server or the next start.
                }, { hashThreads: 2, ...(argv.wait === 'queued' && { epochCloseTimeoutMs: 0 }) });
            }),
    };
}

/** `--dataset train=data/train`: name and value; the name must be given. */
function parseDatasets(values: readonly unknown[]): { [name: string]: string } {
    const datasets: { [name: string]: string } = {};
    for (const value of values.map(String)) {
        const at = value.indexOf('=');
        if (at <= 0 || at === value.length - 1) {
            throw new TrackerError('INVALID_ARGUMENT', `--dataset ${JSON.stringify(value)} must be name=DIR or name=<record id>, e.g. --dataset train=data/train`);
        }
        const name = value.slice(0, at);
        if (name in datasets) throw new TrackerError('INVALID_ARGUMENT', `--dataset ${name} is given twice; give each dataset name once`);
        datasets[name] = value.slice(at + 1);
    }
    return datasets;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, signal: AbortSignal): Promise<T | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
        return await Promise.race([
            promise,
            new Promise<'timeout'>((resolve) => {
                timer = setTimeout(() => resolve('timeout'), ms);
            }),
            new Promise<never>((_, reject) => {
                onAbort = () => reject(new TrackerError('ABORTED', 'interrupted while waiting; the epoch stays in the outbox and is recorded by the project server or at the next start'));
                if (signal.aborted) onAbort();
                signal.addEventListener('abort', onAbort, { once: true });
            }),
        ]);
    } finally {
        clearTimeout(timer);
        if (onAbort) signal.removeEventListener('abort', onAbort);
    }
}
