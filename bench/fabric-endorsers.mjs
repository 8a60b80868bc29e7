#!/usr/bin/env node
// Benchmark: who picks the endorsers on Fabric. One network, two ledgers: one whose connection
// names both organisations in `endorsingOrganizations` (the gateway asks both peers at once), one
// without the field (the gateway endorses on its own peer first, then asks the other). Rounds
// alternate between the two (and swap which goes first), so the VM's drifting CPU speed, which
// makes separate bench runs differ by ±20 %, hits both alike. Per round and variant: `setMany` of
// 100 one after another, 4 in flight, and the p50 of 10 lone `set`s; printed per round and as
// the median over the rounds. Coalescing is off: each call is one transaction.
// Needs the packages built: npx turbo run build --filter=@hyperprov/ledger-fabric --filter=@hyperprov/fabric-network
// Usage: node bench/fabric-endorsers.mjs [--rounds 6] [--json]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startTestNetwork } from '@hyperprov/fabric-network/testing';
import { loadConnectionFile, loadConnectionUser, openFabricLedger } from '@hyperprov/ledger-fabric';
import { inParallel, machineInfo, percentile, recordInput } from './lib/ledger-workload.mjs';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '6' }, json: { type: 'boolean', default: false } } });
const ROUNDS = Number(args.rounds);
const BATCH = 100;
const run = `bench/endorsers/${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
let batches = 0;
/** One setMany of BATCH new keys (the number taken before the call: four run at once). */
function setMany(ledger) {
    const batch = batches++;
    return ledger.submit('setMany', [JSON.stringify(Array.from({ length: BATCH }, (_, n) => recordInput(`${run}/${batch}/${n}`)))]);
}
const median = (values) => percentile([...values].sort((a, b) => a - b), 50);

async function round(ledger) {
    let started = performance.now();
    for (let i = 0; i < 8; i++) await setMany(ledger);
    const sequential = Math.round((8 * BATCH) / ((performance.now() - started) / 1000));
    started = performance.now();
    await inParallel(12, 4, () => setMany(ledger));
    const concurrent = Math.round((12 * BATCH) / ((performance.now() - started) / 1000));
    const lone = [];
    for (let i = 0; i < 10; i++) {
        const s = performance.now();
        await ledger.submit('set', [JSON.stringify(recordInput(`${run}/lone/${batches++}`))]);
        lone.push(performance.now() - s);
    }
    return { sequential, concurrent, loneMs: Math.round(median(lone)) };
}

const network = await startTestNetwork({});
const results = { machine: machineInfo(), rounds: ROUNDS, variants: {} };
try {
    const connection = await loadConnectionFile(network.connectionFile);
    const identity = await loadConnectionUser(connection, { org: connection.organizations[0].name });
    const { endorsingOrganizations, ...gatewayChooses } = connection;
    if (endorsingOrganizations === undefined) throw new Error('the test network wrote no endorsingOrganizations; rebuild @hyperprov/fabric-network');
    const variants = [
        ['named', await openFabricLedger({ connection, identity, coalesce: false })],
        ['gateway', await openFabricLedger({ connection: gatewayChooses, identity, coalesce: false })],
    ];
    for (const [, ledger] of variants) for (let i = 0; i < 3; i++) await setMany(ledger);
    const rows = Object.fromEntries(variants.map(([name]) => [name, []]));
    for (let r = 0; r < ROUNDS; r++) {
        for (const [name, ledger] of r % 2 ? [...variants].reverse() : variants) rows[name].push(await round(ledger));
    }
    for (const [name, ledger] of variants) {
        await ledger.close();
        const of = (field) => rows[name].map((row) => row[field]);
        results.variants[name] = {
            setManySequential: { median: median(of('sequential')), rounds: of('sequential') },
            setMany4InFlight: { median: median(of('concurrent')), rounds: of('concurrent') },
            loneSetP50Ms: { median: median(of('loneMs')), rounds: of('loneMs') },
        };
    }
} finally {
    await network.stop();
}

if (args.json) console.log(JSON.stringify(results));
else {
    console.log(`endorsers: named (endorsingOrganizations) vs the gateway's choice, ${ROUNDS} alternating rounds, ${results.machine.cpus} cpus, load ${results.machine.load}`);
    for (const [name, v] of Object.entries(results.variants)) {
        console.log(`  ${name.padEnd(8)} setMany ${BATCH}/tx one after another ${v.setManySequential.median} records/s (${v.setManySequential.rounds.join(' ')}); 4 in flight ${v.setMany4InFlight.median} (${v.setMany4InFlight.rounds.join(' ')}); lone set p50 ${v.loneSetP50Ms.median} ms (${v.loneSetP50Ms.rounds.join(' ')})`);
    }
}
