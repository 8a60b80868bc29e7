#!/usr/bin/env node
// Benchmark: dataset manifests (scanDataset / prepareDatasetRecord), side by side in one run:
//   - reference: `find -type f -print0 | xargs -0 -P<cores> sha256sum` over the same tree
//   - scanDataset with an empty hash cache (every file read and hashed in the pool)
//   - scanDataset again with the warm cache (target: no file read; stat-only)
//   - scanDataset after changing 1 % of the files (only those are read again)
//   - prepareDatasetRecord --upload into a local store (first time: hash + store every file),
//     against `cp -r` of the same tree into the same filesystem
//   - building + serialising a manifest of --entries synthetic entries (sort, root, bytes), and
//     the heap it takes
// Two trees: many small files (an IdenProf-like image set) and a few big ones. Files are
// generated into a temp dir (page-cached: this measures our overhead, not the disk) and removed.
// Needs the tracker built: npx turbo run build --filter=@hyperprov/tracker
// Load on the shared machine inflates wall times: rows also give `cpu`, this process's CPU seconds.
// Usage: node --expose-gc bench/manifest.mjs [--small 20000] [--small-kb 16] [--big 8] [--big-mb 64] [--entries 1000000] [--json]
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLocalStore } from '@hyperprov/storage';
import { createHashPool, openHashCache } from '@hyperprov/tracker/hashing';
import { buildManifest, prepareDatasetRecord, scanDataset, serializeManifest } from '@hyperprov/tracker/manifests';
import { TrackerError } from '@hyperprov/errors';
import { ingestFile } from '@hyperprov/tracker/pipeline';

const { values: args } = parseArgs({
    options: {
        small: { type: 'string', default: '20000' },
        'small-kb': { type: 'string', default: '16' },
        big: { type: 'string', default: '8' },
        'big-mb': { type: 'string', default: '64' },
        entries: { type: 'string', default: '1000000' },
        json: { type: 'boolean', default: false },
    },
});
const SMALL = Number(args.small);
const SMALL_BYTES = Number(args['small-kb']) * 1024;
const BIG = Number(args.big);
const BIG_BYTES = Number(args['big-mb']) * 2 ** 20;
const ENTRIES = Number(args.entries);
const CORES = os.availableParallelism();
const MB = 1e6;

const base = await mkdtemp(path.join(os.tmpdir(), 'hyperprov-bench-manifest-'));
const results = { cores: CORES, cpu: os.cpus()[0]?.model, node: process.version, rows: [] };
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);

function log(name, seconds, { files, bytes, ...extra } = {}) {
    const entry = { name, seconds: +seconds.toFixed(3), ...(files !== undefined && { filesPerS: Math.round(files / seconds) }), ...(bytes !== undefined && { mbPerS: Math.round(bytes / seconds / MB) }), ...extra };
    results.rows.push(entry);
    if (!args.json) {
        const rate = [entry.filesPerS !== undefined && `${entry.filesPerS} files/s`, entry.mbPerS !== undefined && `${entry.mbPerS} MB/s`].filter(Boolean).join(', ');
        const more = Object.entries(extra).map(([k, v]) => `${k}=${v}`).join(' ');
        console.log(`${name.padEnd(46)} ${entry.seconds.toFixed(3).padStart(8)} s  ${rate.padEnd(28)} ${more}`);
    }
    return entry;
}
/** Wall time, and CPU time of this process (all threads: the hash workers too), which a busy shared machine distorts less. */
async function timed(fn) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const value = await fn();
    const used = process.cpuUsage(cpu);
    return { seconds: (performance.now() - start) / 1000, cpuSeconds: +((used.user + used.system) / 1e6).toFixed(3), value };
}

/** Distinct pseudo-random content per file, written with an mtime outside the cache's racy window. */
async function generateTree(dir, count, size, perDir) {
    const block = Buffer.alloc(Math.min(size, 1 << 20));
    const past = new Date(Date.now() - 3600_000);
    for (let i = 0; i < count; i++) {
        const file = path.join(dir, `class-${Math.floor(i / perDir)}`, `img-${i}.bin`);
        if (i % perDir === 0) await mkdir(path.dirname(file), { recursive: true });
        const handle = await open(file, 'w');
        for (let offset = 0; offset < size; offset += block.length) {
            for (let j = 0; j < Math.min(block.length, 4096); j += 4) block.writeUInt32LE((Math.imul(i * 7919 + offset + j, 2654435761) >>> 0), j);
            await handle.write(block, 0, Math.min(block.length, size - offset));
        }
        await handle.close();
        await utimes(file, past, past);
    }
}

function shellBaseline(dir, count) {
    // Batches small enough that every core gets files, large enough not to fork per small file.
    const batch = Math.max(1, Math.min(256, Math.ceil(count / CORES)));
    execFileSync('sh', ['-c', `find . -type f -print0 | xargs -0 -P${CORES} -n ${batch} sha256sum > /dev/null`], { cwd: dir });
}

async function benchTree(label, dir, count, size) {
    const totalBytes = count * size;
    // Warm the page cache once so every contender reads from memory.
    shellBaseline(dir, count);
    const shell = await timed(async () => shellBaseline(dir, count));
    log(`${label}: sha256sum via find|xargs -P${CORES}`, shell.seconds, { files: count, bytes: totalBytes });

    const pool = createHashPool();
    const cacheDir = path.join(base, `cache-${label}`);
    const cache = await openHashCache(cacheDir);
    try {
        let reads = pool.stats.filesRead;
        const cold = await timed(() => scanDataset(dir, { pool, cache }));
        log(`${label}: scanDataset, empty cache`, cold.seconds, { files: count, bytes: totalBytes, cpu: cold.cpuSeconds, read: pool.stats.filesRead - reads, vsShell: +(shell.seconds / cold.seconds).toFixed(2) });

        reads = pool.stats.filesRead;
        const warm = await timed(() => scanDataset(dir, { pool, cache }));
        log(`${label}: scanDataset, warm cache`, warm.seconds, { files: count, cpu: warm.cpuSeconds, read: pool.stats.filesRead - reads, same: warm.value.manifest.root === cold.value.manifest.root });

        // Change 1 % of the files (at least one).
        const changed = cold.value.manifest.entries.filter((_, i) => i % 100 === 0);
        const past = new Date(Date.now() - 1800_000);
        for (const entry of changed) {
            const file = path.join(dir, entry.path);
            const handle = await open(file, 'r+');
            await handle.write(Buffer.from('changed!'), 0, 8, 0);
            await handle.close();
            await utimes(file, past, past);
        }
        reads = pool.stats.filesRead;
        const rescan = await timed(() => scanDataset(dir, { pool, cache }));
        log(`${label}: scanDataset after changing ${changed.length} files`, rescan.seconds, { files: count, cpu: rescan.cpuSeconds, read: pool.stats.filesRead - reads });

        // prepareDatasetRecord --upload into a fresh local store (no previous record), vs cp -r.
        const storeRoot = path.join(base, `store-${label}`);
        const store = createLocalStore({ root: storeRoot });
        // No previous version of the key: the first recording of a dataset.
        const records = { get: async () => Promise.reject(new TrackerError('NOT_FOUND', 'no record')) };
        const freshCache = await openHashCache(path.join(base, `cache-up-${label}`));
        const up = await timed(() => prepareDatasetRecord(dir, { key: `bench/${label}`, store, records, pool, cache: freshCache, upload: true, ingest: ingestFile }));
        await freshCache.close();
        await store.close();
        const copyTo = path.join(base, `copy-${label}`);
        const cp = await timed(async () => execFileSync('sh', ['-c', `cp -r "${dir}" "${copyTo}" && sync -f "${copyTo}"`]));
        log(`${label}: prepareDatasetRecord --upload, local store`, up.seconds, {
            files: count,
            bytes: totalBytes,
            cpu: up.cpuSeconds,
            transferred: up.value.upload?.transferred,
            vsCp: +(cp.seconds / up.seconds).toFixed(2),
        });
        log(`${label}: cp -r + sync (reference)`, cp.seconds, { files: count, bytes: totalBytes });
        await rm(copyTo, { recursive: true, force: true });
        await rm(storeRoot, { recursive: true, force: true });
    } finally {
        await cache.close();
        await pool.close();
    }
}

try {
    const small = path.join(base, 'small');
    await generateTree(small, SMALL, SMALL_BYTES, 500);
    await benchTree(`${SMALL}x${SMALL_BYTES / 1024}KiB`, small, SMALL, SMALL_BYTES);
    await rm(small, { recursive: true, force: true });

    const big = path.join(base, 'big');
    await generateTree(big, BIG, BIG_BYTES, BIG);
    await benchTree(`${BIG}x${BIG_BYTES / 2 ** 20}MiB`, big, BIG, BIG_BYTES);
    await rm(big, { recursive: true, force: true });

    // Manifest construction and serialisation at scale: synthetic entries, no files.
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const entries = Array.from({ length: ENTRIES }, (_, i) => ({
        path: `train/class-${i % 1000}/image-${String(i).padStart(8, '0')}.jpg`,
        size: 20000 + (i % 5000),
        sha256: (i.toString(16).padStart(8, '0')).repeat(8),
    }));
    entries.reverse();
    const built = await timed(async () => buildManifest(entries));
    const serial = await timed(async () => serializeManifest(built.value));
    global.gc?.();
    const heapMb = Math.round((process.memoryUsage().heapUsed - heapBefore) / MB);
    log(`manifest of ${ENTRIES} entries: build (sort+root)`, built.seconds, { files: ENTRIES, cpu: built.cpuSeconds, heapMb });
    log(`manifest of ${ENTRIES} entries: serialise+checksum`, serial.seconds, { bytes: serial.value.size, cpu: serial.cpuSeconds, fileMb: Math.round(serial.value.size / MB) });
} finally {
    clearInterval(sampler);
    await rm(base, { recursive: true, force: true });
}
results.peakRssMb = Math.round(peakRss / MB);
if (args.json) console.log(JSON.stringify(results, null, 2));
else console.log(`peak RSS ${results.peakRssMb} MB`);
