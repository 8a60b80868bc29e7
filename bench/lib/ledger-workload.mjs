// The workload both ledger benchmarks (embedded-ledger.mjs, fabric.mjs) run, so their figures
// compare: the same record inputs, the same chain for the lineage walk, the same statistics.
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';

/** A record input of 1 KiB of (unstored) bytes, as a training run would record a checkpoint. */
export function recordInput(key, dependencies = []) {
    const hex = createHash('sha256').update(randomBytes(16)).digest('hex');
    return {
        key,
        checksum: `sha256:${hex}`,
        size: 1024,
        location: 'file:///var/hyperprov/store',
        pointer: `sha256/${hex.slice(0, 2)}/${hex.slice(2)}`,
        meta: { epoch: 1, accuracy: 0.91, params: { lr: 0.001, batch: 32 } },
        ...(dependencies.length ? { dependencies, type: 'transformation' } : {}),
    };
}

/** The p-th percentile of an ascending array. */
export function percentile(sorted, p) {
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs task(0…count-1) with at most `concurrency` in flight. */
export async function inParallel(count, concurrency, task) {
    let next = 0;
    await Promise.all(
        Array.from({ length: Math.min(concurrency, count) }, async () => {
            while (next < count) await task(next++);
        }),
    );
}

/**
 * Records a `depth`-deep chain under `prefix` (record i depends on record i-1), `batch` records
 * per setMany ($n references inside a batch); returns the tip's id.
 */
export async function buildChain(ledger, prefix, depth, batch, { sameKey = false } = {}) {
    let previous;
    for (let from = 0; from < depth; from += batch) {
        const items = [];
        for (let i = from; i < Math.min(depth, from + batch); i++) {
            const deps = i === from ? (previous ? [previous] : []) : [`$${i - from - 1}`];
            // sameKey (one record per transaction only): versions of one key, as a run's checkpoints are.
            items.push(recordInput(sameKey ? prefix.replace(/\/$/, '') : `${prefix}${String(i).padStart(6, '0')}`, deps));
        }
        const records = JSON.parse((await ledger.submit('setMany', [JSON.stringify(items)])).result);
        previous = records[records.length - 1].id;
    }
    return previous;
}

/** The machine, and its load at the start: other work on it inflates every wall time. */
export function machineInfo() {
    return { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, load: os.loadavg()[0].toFixed(1) };
}

/** `setMany` of `batch` records per transaction, `batches` one after another, then as many 4 at a time. */
export async function measureSetMany(ledger, prefix, batch, batches) {
    const batchInput = (b) => JSON.stringify(Array.from({ length: batch }, (_, i) => recordInput(`${prefix}${b}/${i}`)));
    let start = performance.now();
    for (let b = 0; b < batches; b++) await ledger.submit('setMany', [batchInput(b)]);
    const sequential = (performance.now() - start) / 1000;
    start = performance.now();
    await inParallel(batches, 4, (b) => ledger.submit('setMany', [batchInput(batches + b)]));
    const concurrent = (performance.now() - start) / 1000;
    const perSecond = (seconds) => Math.round((batch * batches) / seconds);
    return {
        setManySequential: { recordsPerTx: batch, txs: batches, recordsPerSecond: perSecond(sequential) },
        setManyConcurrent: { recordsPerTx: batch, txs: batches, inFlight: 4, recordsPerSecond: perSecond(concurrent) },
    };
}
