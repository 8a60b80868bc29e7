#!/usr/bin/env node
// Benchmark: `reproduce` of a large run (issue "Answer the questions"): a 1 GB model with a dataset
// of 10,000 files, both stored in the local store, fetched into a new directory with every byte
// checked. Reports wall time and peak RSS of a fresh process doing it (target: at the store's read
// speed, RSS <= 200 MB), beside the time to read the same stored bytes plainly (cat of every object).
// Needs: npx turbo run build --filter=@hyperprov/tracker
// Usage: node bench/reproduce.mjs [--model-mb 1024] [--files 10000] [--file-kb 10] [--json]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initTracker, openTracker } from '@hyperprov/tracker';

const { values: args } = parseArgs({
    options: {
        'model-mb': { type: 'string', default: '1024' },
        files: { type: 'string', default: '10000' },
        'file-kb': { type: 'string', default: '10' },
        json: { type: 'boolean', default: false },
        child: { type: 'string' }, // internal: reproduce <project> <out> in this fresh process
        out: { type: 'string' },
    },
});

if (args.child !== undefined) {
    const started = performance.now();
    const tracker = await openTracker({ dir: args.child });
    const report = await tracker.reproduce({ run: 'bench' }, args.out);
    await tracker.close();
    // VmHWM, not getrusage's maxRSS: Linux carries the parent's high-water mark across fork+exec,
    // and the parent has just read a model-sized object.
    const hwmKB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
    process.stdout.write(JSON.stringify({ seconds: (performance.now() - started) / 1000, maxRssMB: hwmKB / 1024, files: report.verified.files, bytes: report.verified.bytes }));
    process.exit(0);
}

const MODEL_MB = Number(args['model-mb']);
const FILES = Number(args.files);
const FILE_KB = Number(args['file-kb']);
const root = await mkdtemp(path.join(os.tmpdir(), 'hp-bench-reproduce-'));
try {
    await initTracker({ dir: root, durability: 'none' });
    const data = path.join(root, 'data');
    for (let d = 0; d < Math.ceil(FILES / 1000); d++) await mkdir(path.join(data, `part${d}`), { recursive: true });
    for (let i = 0; i < FILES; i++) await writeFile(path.join(data, `part${Math.floor(i / 1000)}`, `img${i}.jpg`), randomBytes(FILE_KB * 1024));
    const model = path.join(root, 'model.bin');
    await new Promise((resolve, reject) => {
        const out = createWriteStream(model);
        const chunk = randomBytes(8 * 1024 * 1024);
        let left = MODEL_MB / 8;
        const write = () => {
            while (left > 0) {
                left--;
                chunk[0] ^= 1;
                if (!out.write(chunk)) return void out.once('drain', write);
            }
            out.end(resolve);
        };
        out.on('error', reject);
        write();
    });
    const setupStart = performance.now();
    const tracker = await openTracker({ dir: root, run: 'bench' });
    const dataset = await tracker.recordDataset(data, { key: 'datasets/bench', upload: true });
    const handle = await tracker.epoch({ model, epoch: 0, datasets: { train: dataset.record.id } });
    await handle.committed;
    await tracker.close();
    const setupSeconds = (performance.now() - setupStart) / 1000;
    await rm(data, { recursive: true, force: true });
    await rm(model);
    // The store's plain read speed: every object read once, as reproduce must.
    execFileSync('sync');
    const objects = path.join(root, '.hyperprov', 'objects');
    const readStart = performance.now();
    let readBytes = 0;
    for (const name of await readdir(objects, { recursive: true })) {
        const file = path.join(objects, name);
        try {
            for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) readBytes += chunk.length;
        } catch {
            // a folder
        }
    }
    const readSeconds = (performance.now() - readStart) / 1000;
    const out = path.join(root, 'reproduced');
    const child = JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', root, '--out', out], { maxBuffer: 1 << 20, env: { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '4' } }).toString());
    const report = {
        modelMB: MODEL_MB,
        datasetFiles: FILES,
        datasetMB: Number(((FILES * FILE_KB) / 1024).toFixed(1)),
        recordSeconds: Number(setupSeconds.toFixed(2)),
        reproduceSeconds: Number(child.seconds.toFixed(2)),
        reproduceMBps: Number((child.bytes / 1024 / 1024 / child.seconds).toFixed(0)),
        storeReadSeconds: Number(readSeconds.toFixed(2)),
        storeReadMBps: Number((readBytes / 1024 / 1024 / readSeconds).toFixed(0)),
        peakRssMB: Number(child.maxRssMB.toFixed(0)),
        filesChecked: child.files,
    };
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else {
        console.log(`reproduce of a ${MODEL_MB} MB model + ${FILES} dataset files (${report.datasetMB} MB), local store`);
        console.log(`  reproduce     ${report.reproduceSeconds} s (${report.reproduceMBps} MB/s), ${report.filesChecked} files checked`);
        console.log(`  store read    ${report.storeReadSeconds} s (${report.storeReadMBps} MB/s) to read the same objects plainly`);
        console.log(`  peak RSS      ${report.peakRssMB} MB   (target <= 200 MB)`);
        console.log(`  (recording them took ${report.recordSeconds} s)`);
    }
} finally {
    await rm(root, { recursive: true, force: true });
}
