#!/usr/bin/env node
// Benchmark: lineage of depth 1000 over HTTP, from the project server on the embedded ledger
// (issue "Answer the questions"; target <= 60 ms). A 1000-deep chain is recorded (setMany
// batches), then GET /v1/lineage/<tip>?depth=1000 is timed from a client on the same machine,
// cold (first call) and warm (p50/p95 of --runs calls). Also GET /v1/records/<id> for scale.
// Needs: npx turbo run build
// Usage: node bench/http-lineage.mjs [--depth 1000] [--runs 30] [--json]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from '@hyperprov/server';
import { initTracker } from '@hyperprov/tracker';
import { buildChain, machineInfo, percentile } from './lib/ledger-workload.mjs';

const { values: args } = parseArgs({ options: { depth: { type: 'string', default: '1000' }, runs: { type: 'string', default: '30' }, json: { type: 'boolean', default: false } } });
const DEPTH = Number(args.depth);
const RUNS = Number(args.runs);

const dir = await mkdtemp(path.join(os.tmpdir(), 'hp-bench-http-lineage-'));
try {
    await initTracker({ dir, durability: 'none' });
    const server = await startServer({ projectDir: dir });
    try {
        const tip = await buildChain(server.tracker.client.ledger, 'chain/', DEPTH, 500);
        const get = async (route) => {
            const started = performance.now();
            const response = await fetch(`${server.url}${route}`, { headers: { authorization: `Bearer ${server.token}` } });
            const body = await response.json();
            const ms = performance.now() - started;
            if (!response.ok) throw new Error(JSON.stringify(body));
            return { ms, body };
        };
        const cold = await get(`/v1/lineage/${tip}?depth=${DEPTH}`);
        const reached = Object.keys(cold.body.records).length;
        if (reached !== DEPTH) throw new Error(`lineage reached ${reached} records, expected ${DEPTH}`);
        const warm = [];
        for (let i = 0; i < RUNS; i++) warm.push((await get(`/v1/lineage/${tip}?depth=${DEPTH}`)).ms);
        warm.sort((a, b) => a - b);
        const record = [];
        for (let i = 0; i < RUNS; i++) record.push((await get(`/v1/records/${tip}`)).ms);
        record.sort((a, b) => a - b);
        const report = {
            depth: DEPTH,
            coldMs: Number(cold.ms.toFixed(1)),
            warmMs: { p50: Number(percentile(warm, 50).toFixed(1)), p95: Number(percentile(warm, 95).toFixed(1)) },
            responseKB: Math.round(JSON.stringify(cold.body).length / 1024),
            getRecordMs: { p50: Number(percentile(record, 50).toFixed(2)), p95: Number(percentile(record, 95).toFixed(2)) },
            machine: machineInfo(),
        };
        if (args.json) console.log(JSON.stringify(report, null, 2));
        else {
            console.log(`lineage of depth ${DEPTH} over HTTP (embedded ledger, ${report.responseKB} KB of JSON)`);
            console.log(`  cold ${report.coldMs} ms; warm p50 ${report.warmMs.p50} ms, p95 ${report.warmMs.p95} ms   (target <= 60 ms)`);
            console.log(`  GET /v1/records/<id>: p50 ${report.getRecordMs.p50} ms, p95 ${report.getRecordMs.p95} ms`);
            console.log(`  machine: ${report.machine.cpus} cores, load ${report.machine.load}`);
        }
    } finally {
        await server.close();
    }
} finally {
    await rm(dir, { recursive: true, force: true });
}
