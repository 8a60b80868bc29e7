#!/usr/bin/env node
// Benchmark: the epoch hook from a Python training loop (issue "Track training as it happens"),
// the way most users meet it: a CPU-bound loop in python3 that saves a 94 MB checkpoint in place
// to one name every epoch, with `hyperprov.epoch()` after each save (the stdlib client of
// clients/python, talking to the project server, which snapshots, hashes, stores and records on
// the other core) against the same loop without it. Variants alternate so load drifts hit both.
// Reports the loop's slowdown (target <= 3 %) and epoch()'s return time in Python (target p95 <= 5 ms).
// Needs: npx turbo run build
// Usage: node bench/python-training-loop.mjs [--epochs 5] [--rounds 2] [--mb 94] [--epoch-s 3] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HYPERPROV_BIN } from '@hyperprov/cli';

const { values: args } = parseArgs({
    options: { epochs: { type: 'string', default: '5' }, rounds: { type: 'string', default: '2' }, mb: { type: 'string', default: '94' }, 'epoch-s': { type: 'string', default: '3' }, json: { type: 'boolean', default: false } },
});
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const LOOP = String.raw`
import json, os, sys, time
sys.path.insert(0, os.environ['HYPERPROV_CLIENT'])
hook = sys.argv[1] == 'hook'
epochs, mb, epoch_s, project = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
if hook:
    import hyperprov
def work(n):
    x = 0
    for i in range(n):
        x = (x * 1664525 + 1013904223 + i) % 4294967296
    return x
start = time.perf_counter(); work(200000); per = (time.perf_counter() - start) / 200000
steps = int(epoch_s / per)
weights = bytearray(os.urandom(mb * 1024 * 1024))
path = os.path.join(project, 'out', 'model.keras')
os.makedirs(os.path.dirname(path), exist_ok=True)
returns = []
t0 = time.perf_counter()
for epoch in range(epochs):
    work(steps)
    weights[epoch] ^= 0xff
    with open(path, 'wb') as f:   # in place, same name, as Keras save does
        f.write(weights)
    if hook:
        called = time.perf_counter()
        hyperprov.epoch(path, epoch=epoch, metrics={'loss': 1 / (epoch + 1)}, params={'lr': 1e-3}, run=os.environ['BENCH_RUN'], key='models/bench', project=project)
        returns.append((time.perf_counter() - called) * 1000)
loop = time.perf_counter() - t0
flushed = hyperprov.flush(timeout=600) if hook else None
print(json.dumps({'loop': loop, 'returns': returns, 'flushed': bool(flushed and flushed.get('done'))}))
`;

const pct = (values, p) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

const project = await mkdtemp(path.join(os.tmpdir(), 'hp-bench-python-'));
const cli = (...argv) => execFileSync(process.execPath, [HYPERPROV_BIN, ...argv, '--dir', project], { encoding: 'utf8' });
try {
    cli('init');
    cli('serve', '--detach');
    const run = (variant, round) => {
        const result = spawnSync('python3', ['-c', LOOP, variant, args.epochs, args.mb, args['epoch-s'], project], {
            encoding: 'utf8',
            env: { ...process.env, HYPERPROV_CLIENT: path.join(REPO, 'clients', 'python'), HYPERPROV_CLI: HYPERPROV_BIN, BENCH_RUN: `bench-${round}` },
            maxBuffer: 1 << 20,
        });
        if (result.status !== 0) throw new Error(`python loop failed: ${result.stderr}`);
        return JSON.parse(result.stdout.trim().split('\n').pop());
    };
    run('plain', 'warm');
    let without = 0;
    let withHook = 0;
    const returns = [];
    let flushed = true;
    for (let round = 0; round < Number(args.rounds); round++) {
        without += run('plain', round).loop;
        const hooked = run('hook', round);
        withHook += hooked.loop;
        returns.push(...hooked.returns);
        flushed &&= hooked.flushed;
    }
    const runs = JSON.parse(cli('runs', '--json'));
    const recorded = runs.items.filter((r) => r.run.startsWith('bench-')).reduce((n, r) => n + r.epochs, 0);
    const report = {
        epochs: Number(args.epochs) * Number(args.rounds),
        checkpointMB: Number(args.mb),
        loopSeconds: { without: Number(without.toFixed(2)), withHook: Number(withHook.toFixed(2)) },
        slowdownPercent: Number((((withHook - without) / without) * 100).toFixed(2)),
        epochReturnMs: { p50: Number(pct(returns, 50).toFixed(2)), p95: Number(pct(returns, 95).toFixed(2)) },
        recorded,
        flushed,
        cores: os.cpus().length,
    };
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else {
        console.log(`Python training loop, ${report.epochs} epochs of ~${args['epoch-s']} s, ${report.checkpointMB} MB checkpoint saved in place each epoch, project server on ${report.cores} cores`);
        console.log(`  loop ${report.loopSeconds.without} s without, ${report.loopSeconds.withHook} s with hyperprov.epoch(): slowdown ${report.slowdownPercent} %   (target <= 3 %)`);
        console.log(`  epoch() returned in p50 ${report.epochReturnMs.p50} ms, p95 ${report.epochReturnMs.p95} ms   (target p95 <= 5 ms)`);
        console.log(`  recorded ${report.recorded}/${report.epochs}; outbox empty at the end: ${report.flushed}`);
    }
} finally {
    try {
        cli('serve', '--stop');
    } catch {
        // already stopped
    }
    await rm(project, { recursive: true, force: true });
}
