#!/usr/bin/env node
// Profile: where a Fabric write's time goes, from the network's own metrics and process CPU.
// Runs a workload (setMany of --batch records, --calls of them, --in-flight at a time; or
// lineage walks with --workload lineage) and prints, per call, from the peers' Prometheus
// metrics: endorsement time, the chaincode's state calls (count and time), block commit time;
// and the CPU seconds each process of the network used (from /proc), so the busiest one shows.
// This is a diagnostic for issue #8's figures, not a benchmark with targets.
// Needs the packages built: npx turbo run build --filter=@hyperprov/ledger-fabric --filter=@hyperprov/fabric-network
// Usage: node bench/fabric-profile.mjs [--workload setMany|set|lineage] [--batch 100] [--calls 20]
//        [--in-flight 1] [--depth 1000] [--batch-timeout MS]
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { fetchMetrics, metricSamples, networkStatus } from '@hyperprov/fabric-network';
import { startTestNetwork } from '@hyperprov/fabric-network/testing';
import { loadConnectionFile, loadConnectionUser, openFabricLedger } from '@hyperprov/ledger-fabric';
import { buildChain, inParallel, recordInput } from './lib/ledger-workload.mjs';

const { values: args } = parseArgs({
    options: {
        workload: { type: 'string', default: 'setMany' },
        batch: { type: 'string', default: '100' },
        calls: { type: 'string', default: '20' },
        'in-flight': { type: 'string', default: '1' },
        depth: { type: 'string', default: '1000' },
        'batch-timeout': { type: 'string' },
    },
});
const BATCH = Number(args.batch);
const CALLS = Number(args.calls);
const IN_FLIGHT = Number(args['in-flight']);
const run = `profile/${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
/** Clock ticks per second in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICK = 100;

/** Sum of every sample of `metric` (all label sets) in Prometheus text. */
const total = (text, metric) => metricSamples(text, metric).reduce((sum, sample) => sum + sample.value, 0);

/** Per value of label `label`, the sum of `metric`. */
function byLabel(text, metric, label) {
    const out = {};
    for (const { labels, value } of metricSamples(text, metric)) out[labels[label] ?? ''] = (out[labels[label] ?? ''] ?? 0) + value;
    return out;
}

async function cpuSeconds(pid) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK;
}

async function snapshot(dir) {
    const status = await networkStatus({ dir });
    const nodes = {};
    for (const node of status.nodes) {
        if (!node.running) continue;
        const entry = { cpu: await cpuSeconds(node.pid) };
        if (node.ports.operations && (node.kind === 'peer' || node.kind === 'orderer')) {
            entry.metrics = (await fetchMetrics(`http://127.0.0.1:${node.ports.operations}`)) ?? '';
        }
        nodes[node.name] = entry;
    }
    return { nodes, client: process.cpuUsage() };
}

const network = await startTestNetwork(args['batch-timeout'] ? { batchTimeoutMs: Number(args['batch-timeout']) } : {});
const report = { workload: args.workload, calls: CALLS, inFlight: IN_FLIGHT, load: os.loadavg()[0].toFixed(1) };
try {
    const connection = await loadConnectionFile(network.connectionFile);
    const identity = await loadConnectionUser(connection, { org: connection.organizations[0].name });
    const ledger = await openFabricLedger({ connection, identity, coalesce: false });
    for (let i = 0; i < 5; i++) await ledger.submit('set', [JSON.stringify(recordInput(`${run}/warmup/${i}`))]);
    let call;
    if (args.workload === 'lineage') {
        report.depth = Number(args.depth);
        const tip = await buildChain(ledger, `${run}/chain/`, report.depth, 1);
        call = () => ledger.evaluate('getDependencies', [tip, '']);
    } else if (args.workload === 'set') {
        call = (i) => ledger.submit('set', [JSON.stringify(recordInput(`${run}/set/${i}`))]);
    } else {
        report.batch = BATCH;
        call = (i) => ledger.submit('setMany', [JSON.stringify(Array.from({ length: BATCH }, (_, n) => recordInput(`${run}/${i}/${n}`)))]);
    }
    const before = await snapshot(network.dir);
    const started = performance.now();
    await inParallel(CALLS, IN_FLIGHT, (i) => call(i));
    const wallMs = performance.now() - started;
    const after = await snapshot(network.dir);
    report.wallMsPerCall = +(wallMs / CALLS).toFixed(1);
    report.cpuSecondsPerCall = {};
    for (const [name, node] of Object.entries(after.nodes)) {
        const was = before.nodes[name];
        if (was) report.cpuSecondsPerCall[name] = +((node.cpu - was.cpu) / CALLS).toFixed(4);
    }
    const clientCpu = process.cpuUsage(before.client);
    report.cpuSecondsPerCall.client = +((clientCpu.user + clientCpu.system) / 1e6 / CALLS).toFixed(4);
    report.peers = {};
    for (const [name, node] of Object.entries(after.nodes)) {
        if (!node.metrics || !name.startsWith('peer')) continue;
        const was = before.nodes[name].metrics;
        const delta = (metric) => total(node.metrics, metric) - total(was, metric);
        const shimCount = byLabel(node.metrics, 'chaincode_shim_request_duration_count', 'type');
        const shimCountWas = byLabel(was, 'chaincode_shim_request_duration_count', 'type');
        const shimSum = byLabel(node.metrics, 'chaincode_shim_request_duration_sum', 'type');
        const shimSumWas = byLabel(was, 'chaincode_shim_request_duration_sum', 'type');
        const shim = {};
        for (const type of Object.keys(shimCount)) {
            const n = shimCount[type] - (shimCountWas[type] ?? 0);
            if (n > 0) shim[type] = { perCall: +(n / CALLS).toFixed(1), meanMs: +((1000 * (shimSum[type] - (shimSumWas[type] ?? 0))) / n).toFixed(3) };
        }
        const proposals = delta('endorser_proposal_duration_count');
        const blocks = delta('ledger_block_processing_time_count');
        report.peers[name] = {
            proposalMs: proposals ? +((1000 * delta('endorser_proposal_duration_sum')) / proposals).toFixed(1) : undefined,
            chaincodeExecuteMs: delta('chaincode_execute_duration_count') ? +((1000 * delta('chaincode_execute_duration_sum')) / delta('chaincode_execute_duration_count')).toFixed(1) : undefined,
            shim,
            blocks,
            blockProcessingMs: blocks ? +((1000 * delta('ledger_block_processing_time_sum')) / blocks).toFixed(1) : undefined,
            stateCommitMs: blocks ? +((1000 * delta('ledger_statedb_commit_time_sum')) / blocks).toFixed(1) : undefined,
            blockStoreCommitMs: blocks ? +((1000 * delta('ledger_blockstorage_and_pvtdata_commit_time_sum')) / blocks).toFixed(1) : undefined,
        };
    }
    await ledger.close();
} finally {
    await network.stop();
}
console.log(JSON.stringify(report, null, 2));
