#!/usr/bin/env node
// Benchmark: the Fabric ledger backend (@hyperprov/ledger-fabric) on a real local network.
//   - single-record commit latency (one `set` at a time: endorse by both orgs, order, commit): p50 / p95
//   - `set` records/s with one record per call and --concurrency calls in flight, with coalescing
//     (concurrent sets gathered into setMany) and without it (one transaction per call)
//   - `setMany` records/s with --batch records per transaction (sequential and 4 in flight)
//   - `get` (evaluate) latency
//   - `getDependencies` of the tip of a --depth deep chain in one call (HyperProv 2019: 1552 ms),
//     the chain built with setMany and with one record per transaction; first, repeated, next walk
//   - verify() of the whole channel
// The network: the one named by HYPERPROV_FABRIC_CONNECTION (left running), otherwise a new one
// from @hyperprov/fabric-network on --base-port (stopped at the end). Needs the packages built:
//   npx turbo run build --filter=@hyperprov/ledger-fabric --filter=@hyperprov/fabric-network
// Usage: node bench/fabric.mjs [--latency 100] [--records 2000] [--concurrency 64] [--batch 100]
//        [--batches 30] [--depth 1000] [--window 5] [--max-records 32] [--max-in-flight 8]
//        [--base-port P (default: a free range)] [--batch-timeout MS (a new network's; default its own)] [--json]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConnectionFile, loadConnectionUser, openFabricLedger } from '@hyperprov/ledger-fabric';
import { buildChain, inParallel, machineInfo, measureSetMany, percentile, recordInput } from './lib/ledger-workload.mjs';

const { values: args } = parseArgs({
    options: {
        latency: { type: 'string', default: '100' },
        records: { type: 'string', default: '2000' },
        concurrency: { type: 'string', default: '64' },
        batch: { type: 'string', default: '100' },
        batches: { type: 'string', default: '30' },
        depth: { type: 'string', default: '1000' },
        window: { type: 'string', default: '5' },
        'max-records': { type: 'string', default: '32' },
        'max-in-flight': { type: 'string', default: '8' },
        'base-port': { type: 'string' },
        'batch-timeout': { type: 'string' },
        json: { type: 'boolean', default: false },
    },
});
const LATENCY_N = Number(args.latency);
const RECORDS = Number(args.records);
const CONCURRENCY = Number(args.concurrency);
const BATCH = Number(args.batch);
const BATCHES = Number(args.batches);
const DEPTH = Number(args.depth);
const coalesce = { windowMs: Number(args.window), maxRecords: Number(args['max-records']), maxInFlight: Number(args['max-in-flight']) };
const run = `bench/${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

let network;
let connectionFile = process.env.HYPERPROV_FABRIC_CONNECTION;
const results = { machine: machineInfo(), coalesce };
try {
    if (!connectionFile) {
        const { startTestNetwork } = await import('@hyperprov/fabric-network/testing');
        const started = performance.now();
        network = await startTestNetwork({
            ...(args['base-port'] && { basePort: Number(args['base-port']) }),
            ...(args['batch-timeout'] && { batchTimeoutMs: Number(args['batch-timeout']) }),
        });
        connectionFile = network.connectionFile;
        results.networkUpSeconds = +((performance.now() - started) / 1000).toFixed(1);
    }
    results.network = network ? 'started by the bench' : connectionFile;
    const connection = await loadConnectionFile(connectionFile);
    const identity = await loadConnectionUser(connection, { org: connection.organizations[0].name });
    const ledger = await openFabricLedger({ connection, identity, coalesce });
    const direct = await openFabricLedger({ connection, identity, coalesce: false });

    // Warm up both connections and the contract.
    for (let i = 0; i < 10; i++) await ledger.submit('set', [JSON.stringify(recordInput(`${run}/warmup/${i}`))]);
    await direct.submit('set', [JSON.stringify(recordInput(`${run}/warmup/direct`))]);

    // 1. Single-record commit latency, one at a time.
    const latencies = [];
    for (let i = 0; i < LATENCY_N; i++) {
        const start = performance.now();
        await ledger.submit('set', [JSON.stringify(recordInput(`${run}/latency/${i}`))]);
        latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);
    results.setLatencyMs = { n: LATENCY_N, p50: +percentile(latencies, 50).toFixed(1), p95: +percentile(latencies, 95).toFixed(1) };

    // 2. One record per call, CONCURRENCY calls in flight: coalesced, then one transaction per call.
    for (const [name, target] of [
        ['setConcurrentCoalesced', ledger],
        ['setConcurrentDirect', direct],
    ]) {
        const records = name === 'setConcurrentDirect' ? Math.min(RECORDS, 20 * CONCURRENCY) : RECORDS;
        const inputs = Array.from({ length: records }, (_, i) => JSON.stringify(recordInput(`${run}/${name}/${i}`)));
        const heightBefore = (await target.info()).height;
        const txs = new Set();
        const callMs = [];
        const start = performance.now();
        await inParallel(records, CONCURRENCY, async (i) => {
            const s = performance.now();
            const result = await target.submit('set', [inputs[i]]);
            callMs.push(performance.now() - s);
            txs.add(result.transactionId.split('.')[0]);
        });
        const seconds = (performance.now() - start) / 1000;
        callMs.sort((a, b) => a - b);
        results[name] = {
            records,
            inFlight: CONCURRENCY,
            perSecond: Math.round(records / seconds),
            transactions: txs.size,
            blocks: Number((await target.info()).height - heightBefore),
            callP50Ms: +percentile(callMs, 50).toFixed(0),
            callP95Ms: +percentile(callMs, 95).toFixed(0),
        };
    }

    // 3. setMany, BATCH records per transaction.
    Object.assign(results, await measureSetMany(ledger, `${run}/batch/`, BATCH, BATCHES));

    // 4. get latency.
    const gets = [];
    for (let i = 0; i < 300; i++) {
        const s = performance.now();
        await ledger.evaluate('get', [`${run}/latency/${i % LATENCY_N}`]);
        gets.push(performance.now() - s);
    }
    gets.sort((a, b) => a - b);
    results.getLatencyMs = { n: gets.length, p50: +percentile(gets, 50).toFixed(1), p95: +percentile(gets, 95).toFixed(1) };

    // 5. A DEPTH-deep chain: record i depends on record i-1. Built twice: with setMany of BATCH
    //    ($n references, one key each), and one record per transaction as versions of one key
    //    (as a run's checkpoints are recorded; the walk reads those through the key's history). The contract's
    //    chaincode server keeps the committed records lineage walks read, so the first walk of a
    //    chain reads every record from the peer and a repeated one reads none; "next" is the walk
    //    from one more record on the tip (the lineage of epoch N+1 after that of epoch N).
    const walk = async (id) => {
        const s = performance.now();
        const graph = JSON.parse(await ledger.evaluate('getDependencies', [id, '']));
        return { ms: performance.now() - s, records: Object.keys(graph.records).length };
    };
    for (const [name, batch] of [
        ['getDependencies', BATCH],
        ['getDependenciesOneKeyVersions', 1],
    ]) {
        const prefix = `${run}/chain-${batch}/`;
        const buildStart = performance.now();
        const tip = await buildChain(ledger, prefix, DEPTH, batch, { sameKey: batch === 1 });
        const buildSeconds = (performance.now() - buildStart) / 1000;
        const first = await walk(tip);
        const repeated = [];
        for (let i = 0; i < 5; i++) repeated.push((await walk(tip)).ms);
        const nextKey = batch === 1 ? prefix.replace(/\/$/, '') : `${prefix}next`;
        const next = JSON.parse((await ledger.submit('set', [JSON.stringify(recordInput(nextKey, [tip]))])).result);
        const onTop = await walk(next.id);
        if (first.records !== DEPTH || onTop.records !== DEPTH + 1) throw new Error(`lineage reached ${first.records}/${onTop.records} records, expected ${DEPTH}/${DEPTH + 1}`);
        results[name] = {
            depth: DEPTH,
            recordsPerTransaction: batch,
            buildSeconds: +buildSeconds.toFixed(1),
            firstMs: +first.ms.toFixed(1),
            repeatedBestMs: +Math.min(...repeated).toFixed(1),
            repeatedP50Ms: +percentile([...repeated].sort((a, b) => a - b), 50).toFixed(1),
            nextMs: +onTop.ms.toFixed(1),
            hyperprov2019Ms: 1552,
        };
    }

    // 6. verify() of the whole channel.
    const start = performance.now();
    const verification = await ledger.verify();
    results.verify = { blocks: Number(verification.height), ok: verification.ok, ms: Math.round(performance.now() - start), problems: verification.problems.slice(0, 3) };

    await Promise.all([ledger.close(), direct.close()]);
} finally {
    await network?.stop();
}

if (!args.json) {
    const c = results.setConcurrentCoalesced;
    const d = results.setConcurrentDirect;
    const rows = [
        ['set commit latency p50 / p95 (ms)', `${results.setLatencyMs.p50} / ${results.setLatencyMs.p95}`],
        [`set, ${CONCURRENCY} in flight, coalesced (records/s)`, `${c.perSecond} (${c.records} records in ${c.transactions} tx, ${c.blocks} blocks; call p50 ${c.callP50Ms} ms, p95 ${c.callP95Ms} ms)`],
        [`set, ${CONCURRENCY} in flight, 1 tx per call (records/s)`, `${d.perSecond} (${d.records} records in ${d.blocks} blocks; call p50 ${d.callP50Ms} ms, p95 ${d.callP95Ms} ms)`],
        [`setMany ${BATCH}/tx, sequential (records/s)`, results.setManySequential.recordsPerSecond],
        [`setMany ${BATCH}/tx, 4 in flight (records/s)`, results.setManyConcurrent.recordsPerSecond],
        ['get p50 / p95 (ms)', `${results.getLatencyMs.p50} / ${results.getLatencyMs.p95}`],
        ...['getDependencies', 'getDependenciesOneKeyVersions'].map((name) => {
            const r = results[name];
            const shape = r.recordsPerTransaction === 1 ? 'versions of 1 key, 1/tx' : `${r.recordsPerTransaction}/tx`;
            return [`lineage depth ${DEPTH}, ${shape}: first / repeated / next (ms)`, `${r.firstMs} / ${r.repeatedP50Ms} (best ${r.repeatedBestMs}) / ${r.nextMs}; HyperProv 2019: 1552`];
        }),
        [`verify ${results.verify.blocks} blocks (ms)`, `${results.verify.ms} ${results.verify.ok ? 'ok' : 'FAILED'}`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(`fabric ledger, ${results.machine.cpus} cpus, node ${results.machine.node}, load ${results.machine.load}, network: ${results.network}`);
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}
console.log(JSON.stringify(results, null, args.json ? 2 : 0));
