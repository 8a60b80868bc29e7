#!/usr/bin/env node
// Benchmark: the embedded ledger running the real provenance contract, with durable writes.
//   - single-record commit latency (one `set` at a time, fsync per block): p50 / p95 / p99
//   - `set` records/s: sequential, and with --concurrency submits in flight (group commit)
//   - `setMany` records/s with --batch records per transaction (sequential and 4 in flight)
//   - `get` (evaluate) latency
//   - `getDependencies` of the tip of a --depth deep chain in one call, on a freshly opened
//     ledger (cold cache) and again (warm). HyperProv (Fabric, 2019) took 1552 ms for depth 1000.
//   - verify() of the whole ledger (chain + state re-derivation)
// The ledger lives in a temp dir on the same filesystem as --dir (default: the OS temp dir; make
// sure it is a real disk, not tmpfs, or fsync costs nothing). Needs the tracker built:
//   npx turbo run build --filter=@hyperprov/ledger-embedded
// Usage: node bench/embedded-ledger.mjs [--latency 300] [--records 3000] [--concurrency 32]
//        [--batch 100] [--batches 50] [--depth 1000] [--durability fsync|none] [--dir D] [--json]
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLocalIdentity } from '@hyperprov/ledger';
import { openEmbeddedLedger } from '@hyperprov/ledger-embedded';
import { buildChain, inParallel, machineInfo, measureSetMany, percentile, recordInput } from './lib/ledger-workload.mjs';

const { values: args } = parseArgs({
    options: {
        latency: { type: 'string', default: '300' },
        records: { type: 'string', default: '3000' },
        concurrency: { type: 'string', default: '32' },
        batch: { type: 'string', default: '100' },
        batches: { type: 'string', default: '50' },
        depth: { type: 'string', default: '1000' },
        durability: { type: 'string', default: 'fsync' },
        dir: { type: 'string', default: os.tmpdir() },
        json: { type: 'boolean', default: false },
    },
});
const LATENCY_N = Number(args.latency);
const RECORDS = Number(args.records);
const CONCURRENCY = Number(args.concurrency);
const BATCH = Number(args.batch);
const BATCHES = Number(args.batches);
const DEPTH = Number(args.depth);
const durability = args.durability;

function fsType(dir) {
    try {
        return execFileSync('df', ['--output=fstype', dir], { encoding: 'utf8' }).trim().split('\n').pop();
    } catch {
        return 'unknown';
    }
}

const root = await mkdtemp(path.join(args.dir, 'hyperprov-bench-ledger-'));
const results = {
    machine: { ...machineInfo(), fs: fsType(root) },
    durability,
};
try {
    const identity = await createLocalIdentity({ name: 'bench' });
    const dir = path.join(root, 'ledger');
    let ledger = await openEmbeddedLedger({ dir, identity, durability });

    // Warm up the contract and the files.
    for (let i = 0; i < 20; i++) await ledger.submit('set', [JSON.stringify(recordInput(`warmup/${i}`))]);

    // 1. Single-record commit latency, one at a time.
    const latencies = [];
    const seqStart = performance.now();
    for (let i = 0; i < LATENCY_N; i++) {
        const start = performance.now();
        await ledger.submit('set', [JSON.stringify(recordInput(`latency/${i}`))]);
        latencies.push(performance.now() - start);
    }
    const seqSeconds = (performance.now() - seqStart) / 1000;
    latencies.sort((a, b) => a - b);
    results.setLatencyMs = {
        n: LATENCY_N,
        p50: +percentile(latencies, 50).toFixed(3),
        p95: +percentile(latencies, 95).toFixed(3),
        p99: +percentile(latencies, 99).toFixed(3),
    };
    results.setSequentialPerSecond = Math.round(LATENCY_N / seqSeconds);

    // 2. `set` with many submits in flight: group commit.
    const heightBefore = (await ledger.info()).height;
    const inputs = Array.from({ length: RECORDS }, (_, i) => JSON.stringify(recordInput(`concurrent/${i}`)));
    let start = performance.now();
    let cpu = process.cpuUsage();
    await inParallel(RECORDS, CONCURRENCY, (i) => ledger.submit('set', [inputs[i]]));
    let seconds = (performance.now() - start) / 1000;
    const setCpu = process.cpuUsage(cpu);
    const blocksUsed = Number((await ledger.info()).height - heightBefore);
    results.setConcurrent = {
        records: RECORDS,
        inFlight: CONCURRENCY,
        perSecond: Math.round(RECORDS / seconds),
        blocks: blocksUsed,
        txPerBlock: +(RECORDS / blocksUsed).toFixed(1),
        // This process's CPU per record (contract + ledger): the idle-machine ceiling is 1e6 / this.
        cpuUsPerRecord: Math.round((setCpu.user + setCpu.system) / RECORDS),
    };

    // 3. `setMany`, BATCH records per transaction.
    Object.assign(results, await measureSetMany(ledger, 'batch/', BATCH, BATCHES));

    // 4. get latency.
    const gets = [];
    for (let i = 0; i < 500; i++) {
        const key = `concurrent/${(i * 7) % RECORDS}`;
        const s = performance.now();
        await ledger.evaluate('get', [key]);
        gets.push(performance.now() - s);
    }
    gets.sort((a, b) => a - b);
    results.getLatencyMs = { n: gets.length, p50: +percentile(gets, 50).toFixed(3), p95: +percentile(gets, 95).toFixed(3) };

    // 5. A DEPTH-deep chain: record i depends on record i-1 (built with setMany, $n references).
    const previous = await buildChain(ledger, 'chain/', DEPTH, BATCH);
    const tip = previous;
    await ledger.close();
    ledger = await openEmbeddedLedger({ dir, identity, durability });
    start = performance.now();
    const coldCpuStart = process.cpuUsage();
    const graph = JSON.parse(await ledger.evaluate('getDependencies', [tip, '']));
    const coldCpuUsed = process.cpuUsage(coldCpuStart);
    const cold = performance.now() - start;
    const warmRuns = [];
    const warmCpu = [];
    for (let i = 0; i < 10; i++) {
        const s = performance.now();
        const c = process.cpuUsage();
        await ledger.evaluate('getDependencies', [tip, '']);
        const used = process.cpuUsage(c);
        warmRuns.push(performance.now() - s);
        warmCpu.push((used.user + used.system) / 1000);
    }
    const reached = Object.keys(graph.records).length;
    if (reached !== DEPTH) throw new Error(`lineage reached ${reached} records, expected ${DEPTH}`);
    results.getDependencies = {
        depth: DEPTH,
        records: reached,
        // First call after reopening: empty read cache, contract code not yet optimised by the JIT.
        coldMs: +cold.toFixed(1),
        coldCpuMs: +((coldCpuUsed.user + coldCpuUsed.system) / 1000).toFixed(1),
        warmMs: +Math.min(...warmRuns).toFixed(1),
        // CPU time of this process for the warm call: what the wall time would be on an idle machine.
        warmCpuMs: +Math.min(...warmCpu).toFixed(1),
        hyperprov2019Ms: 1552,
    };

    // 6. verify() of everything written above.
    const info = await ledger.info();
    start = performance.now();
    cpu = process.cpuUsage();
    const verification = await ledger.verify();
    const verifyCpu = process.cpuUsage(cpu);
    results.verify = {
        blocks: Number(info.height),
        ok: verification.ok,
        ms: Math.round(performance.now() - start),
        cpuMs: Math.round((verifyCpu.user + verifyCpu.system) / 1000),
    };
    await ledger.close();
} finally {
    await rm(root, { recursive: true, force: true });
}

if (!args.json) {
    const rows = [
        ['set commit latency p50 / p95 / p99 (ms)', `${results.setLatencyMs.p50} / ${results.setLatencyMs.p95} / ${results.setLatencyMs.p99}`],
        ['set, sequential (records/s)', results.setSequentialPerSecond],
        [
            `set, ${CONCURRENCY} in flight (records/s)`,
            `${results.setConcurrent.perSecond} (${results.setConcurrent.txPerBlock} tx/block, ${results.setConcurrent.cpuUsPerRecord} µs CPU/record)`,
        ],
        [`setMany ${BATCH}/tx, sequential (records/s)`, results.setManySequential.recordsPerSecond],
        [`setMany ${BATCH}/tx, 4 in flight (records/s)`, results.setManyConcurrent.recordsPerSecond],
        ['get p50 / p95 (ms)', `${results.getLatencyMs.p50} / ${results.getLatencyMs.p95}`],
        [
            `getDependencies depth ${DEPTH}, cold / warm, wall (CPU) ms`,
            `${results.getDependencies.coldMs} (${results.getDependencies.coldCpuMs}) / ${results.getDependencies.warmMs} (${results.getDependencies.warmCpuMs}); HyperProv 2019: 1552`,
        ],
        [`verify ${results.verify.blocks} blocks, wall (CPU) ms`, `${results.verify.ms} (${results.verify.cpuMs}) ${results.verify.ok ? 'ok' : 'FAILED'}`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(
        `embedded ledger, durability=${durability}, fs=${results.machine.fs}, ${results.machine.cpus} cpus, node ${results.machine.node}, load ${results.machine.load}`,
    );
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}
console.log(JSON.stringify(results, null, args.json ? 2 : 0));
