#!/usr/bin/env node
// Benchmark: does work on the other core slow a CPU-bound Python loop? The question behind the
// training-loop slowdown target: the project server snapshots, hashes, stores and fsyncs beside
// the trainer. A python3 loop runs fixed work in short slices (--slice-s, default 0.25 s), pairs
// of them, one with a neighbour process working and one with it idle (the order swapped every
// pair); per pair, the slowdown of the slice with the neighbour. Slices this short sit closer
// together than the VM's CPU-speed drift (±20 % between seconds on the 2-core VM of 2026-12-04),
// so the median over the pairs separates a neighbour's effect from the drift.
// Neighbours: none (the noise floor), spin (a Python busy loop), mem (8 MiB memory copies), sha
// (SHA-256 of 8 MiB), fsync (write 94 MB and fsync it, over and over).
// Usage: node bench/neighbour-interference.mjs [--pairs 60] [--slice-s 0.25] [--json]
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machineInfo, percentile } from './lib/ledger-workload.mjs';
import { PYTHON_WORK } from './lib/python-work.mjs';

const { values: args } = parseArgs({ options: { pairs: { type: 'string', default: '60' }, 'slice-s': { type: 'string', default: '0.25' }, json: { type: 'boolean', default: false } } });
const NEIGHBOURS = ['none', 'spin', 'mem', 'sha', 'fsync'];

// argv: neighbour, pairs, slice seconds, scratch dir. Prints one JSON line: per pair, the slowdown in %.
const LOOP = String.raw`
import hashlib, json, multiprocessing as mp, os, sys, time
${PYTHON_WORK}
def neighbour(flag, kind, scratch):
    src, dst, big = bytearray(os.urandom(8 << 20)), bytearray(8 << 20), os.urandom(94 << 20)
    while flag.value >= 0:
        if flag.value == 0 or kind == 'none':
            time.sleep(0.001)
        elif kind == 'spin':
            x = 0
            for i in range(20000):
                x += i
        elif kind == 'mem':
            dst[:] = src
        elif kind == 'sha':
            hashlib.sha256(src).digest()
        elif kind == 'fsync':
            with open(os.path.join(scratch, 'neighbour.bin'), 'wb') as f:
                f.write(big); f.flush(); os.fsync(f.fileno())
if __name__ == '__main__':
    kind, pairs, slice_s, scratch = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    start = time.perf_counter(); work(400000)
    steps = int(slice_s / ((time.perf_counter() - start) / 400000))
    flag = mp.Value('i', 0, lock=False)
    child = mp.Process(target=neighbour, args=(flag, kind, scratch)); child.start()
    time.sleep(0.5)
    slowdowns = []
    for pair in range(pairs):
        took = {}
        for busy in ((0, 1) if pair % 2 == 0 else (1, 0)):
            flag.value = busy
            t = time.perf_counter(); work(steps); took[busy] = time.perf_counter() - t
        slowdowns.append((took[1] - took[0]) / took[0] * 100)
    flag.value = -1; child.join()
    print(json.dumps({'slowdowns': slowdowns}))
`;

/** The p-th percentile (bench/lib's nearest rank) of unsorted values, to two decimals. */
const pctOf = (values, p) => +percentile([...values].sort((a, b) => a - b), p).toFixed(2);

const scratch = await mkdtemp(path.join(os.tmpdir(), 'hp-bench-neighbour-'));
const results = {};
try {
    for (const kind of NEIGHBOURS) {
        const run = spawnSync('python3', ['-c', LOOP, kind, args.pairs, args['slice-s'], scratch], { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (run.status !== 0) throw new Error(`python loop failed: ${run.stderr}`);
        const { slowdowns } = JSON.parse(run.stdout.trim().split('\n').pop());
        results[kind] = { pairs: slowdowns.length, medianPercent: pctOf(slowdowns, 50), p25: pctOf(slowdowns, 25), p75: pctOf(slowdowns, 75) };
    }
} finally {
    await rm(scratch, { recursive: true, force: true });
}
const machine = machineInfo();
if (args.json) console.log(JSON.stringify({ sliceSeconds: Number(args['slice-s']), results, machine }));
else {
    console.log(`a Python loop in ${args['slice-s']} s slices, with and without a neighbour process on the other core; ${machine.cpus} cpus, load ${machine.load}`);
    for (const [kind, r] of Object.entries(results)) console.log(`  ${kind.padEnd(6)} slowdown median ${r.medianPercent} % (p25 ${r.p25}, p75 ${r.p75}) over ${r.pairs} pairs`);
}
