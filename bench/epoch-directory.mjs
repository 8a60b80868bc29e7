#!/usr/bin/env node
// Benchmark: what recording a checkpoint directory costs in bytes moved, through tracker.epoch()
// on the default local store: a Hugging Face style `checkpoint-N/` with --shards safetensors
// shards of --mb MiB each and a trainer state file, a new directory per epoch as the HF Trainer
// writes them. Per epoch, from this process's /proc/self/io: bytes written to storage
// (write_bytes), bytes read through read calls (rchar, page cache included), and CPU seconds; and
// the wall time from the call to the commit. The outbox snapshots the directory (one copy) and
// the store adopts the snapshot's files (a link): the bytes are written once, read twice (the
// copy, and the hash).
// Needs: npx turbo run build --filter=@hyperprov/tracker
// Usage: node bench/epoch-directory.mjs [--epochs 3] [--shards 2] [--mb 100] [--json]
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initTracker, openTracker } from '@hyperprov/tracker';
import { measure } from './data-path/lib/measure.mjs';
import { machineInfo } from './lib/ledger-workload.mjs';

const { values: args } = parseArgs({
    options: {
        epochs: { type: 'string', default: '3' },
        shards: { type: 'string', default: '2' },
        mb: { type: 'string', default: '100' },
        json: { type: 'boolean', default: false },
    },
});
const MB = 1e6;

async function io() {
    const fields = (await readFile('/proc/self/io', 'utf8')).trim().split('\n').map((line) => line.split(': '));
    return Object.fromEntries(fields.map(([name, value]) => [name, Number(value)]));
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'hp-bench-epoch-dir-'));
const epochs = [];
try {
    await initTracker({ dir });
    const tracker = await openTracker({ dir, run: 'bench' });
    try {
        for (let epoch = 0; epoch < Number(args.epochs); epoch++) {
            const checkpoint = path.join(dir, 'out', `checkpoint-${epoch}`);
            await mkdir(checkpoint, { recursive: true });
            for (let shard = 0; shard < Number(args.shards); shard++) {
                await writeFile(path.join(checkpoint, `model-${String(shard).padStart(5, '0')}.safetensors`), randomBytes(Number(args.mb) * 1024 * 1024));
            }
            await writeFile(path.join(checkpoint, 'trainer_state.json'), JSON.stringify({ global_step: epoch }));
            const before = await io();
            const { seconds, cpuSeconds } = await measure(async () => (await tracker.epoch({ model: checkpoint, key: 'models/hf', epoch })).committed);
            const after = await io();
            epochs.push({
                ms: Math.round(seconds * 1000),
                writtenMB: Math.round((after.write_bytes - before.write_bytes) / MB),
                readMB: Math.round((after.rchar - before.rchar) / MB),
                cpuSeconds: +cpuSeconds.toFixed(2),
            });
        }
    } finally {
        await tracker.close();
    }
} finally {
    await rm(dir, { recursive: true, force: true });
}

const checkpointMB = Math.round((Number(args.shards) * Number(args.mb) * 1024 * 1024) / MB);
const report = { checkpointMB, epochs, machine: machineInfo() };
if (args.json) console.log(JSON.stringify(report));
else {
    console.log(`checkpoint directory of ${checkpointMB} MB (${args.shards} shards), ${epochs.length} epochs, local store, ${report.machine.cpus} cpus, load ${report.machine.load}`);
    for (const [n, e] of epochs.entries()) console.log(`  epoch ${n}: written ${e.writtenMB} MB, read ${e.readMB} MB, ${e.cpuSeconds} CPU-s, call → commit ${e.ms} ms`);
}
