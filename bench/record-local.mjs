#!/usr/bin/env node
// Benchmark: the one-read-pass ingest into the local store, side by side in one run:
//   - one 94 MB checkpoint: ingestFile (hash in a worker ‖ write, fsync, publish) vs its parts,
//     hash only and store only, and vs a plain copy + fsync (target: ingest ≤ 0.25 s)
//   - overlap efficiency on a 1 GB file = max(hash only, store only) / ingest (target ≥ 0.85)
//   - peak RSS of a process ingesting a 2 GB file vs a 94 MB one (target ≤ 200 MB, size-independent)
// The ledger commit is not included here (see the tracker's record bench). Files are generated in
// a temp dir and removed. Needs: npx turbo run build --filter=@hyperprov/tracker
// Usage: node bench/record-local.mjs [--rounds 5] [--mb 94] [--overlap-mb 1024] [--rss-mb 2048] [--json]
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLocalStore } from '@hyperprov/storage';
import { createHashPool } from '@hyperprov/tracker/hashing';
import { ingestFile } from '@hyperprov/tracker/pipeline';

const { values: args } = parseArgs({
    options: {
        rounds: { type: 'string', default: '5' },
        mb: { type: 'string', default: '94' },
        'overlap-mb': { type: 'string', default: '1024' },
        'rss-mb': { type: 'string', default: '2048' },
        json: { type: 'boolean', default: false },
        'rss-child': { type: 'string' }, // internal: ingest this file and print peak RSS
        'rss-store': { type: 'string' },
        'cold-child': { type: 'string' }, // internal: ingest this file in a fresh process
    },
});

if (args['cold-child'] !== undefined) {
    // A fresh process recording one file, like the CLI: pool created and used at once.
    const root = args['rss-store'];
    const start = performance.now();
    const pool = createHashPool();
    const store = createLocalStore({ root });
    const result = await ingestFile(args['cold-child'], store, { pool });
    const ingestS = (performance.now() - start) / 1000;
    await store.close();
    await pool.close();
    console.log(JSON.stringify({ size: result.size, ingestS, inline: pool.stats.filesInline }));
    process.exit(0);
}

if (args['rss-child'] !== undefined) {
    const file = args['rss-child'];
    const root = args['rss-store'];
    const pool = createHashPool();
    await pool.ready(); // measure the worker path (a cold pool hashes its first file inline)
    const store = createLocalStore({ root });
    const idle = process.memoryUsage.rss();
    const result = await ingestFile(file, store, { pool });
    await store.close();
    await pool.close();
    // VmHWM is this process's own peak; getrusage's maxRSS would include the parent's (fork + exec).
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(await readFile('/proc/self/status', 'utf8'))?.[1] ?? NaN) * 1024;
    console.log(JSON.stringify({ size: result.size, idleRssMb: idle / 1e6, peakRssMb: hwm / 1e6 }));
    process.exit(0);
}

const ROUNDS = Number(args.rounds);
const MB = 1e6;
const dir = await mkdtemp(path.join(os.tmpdir(), 'hyperprov-bench-record-local-'));
const results = { cores: os.availableParallelism(), node: process.version, rows: {} };
const say = (...line) => args.json || console.log(...line);

async function generate(file, size) {
    const block = Buffer.alloc(1 << 20);
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, i);
    const handle = await open(file, 'w');
    for (let offset = 0, n = 0; offset < size; offset += block.length, n++) {
        block.writeUInt32LE(n, 0);
        await handle.write(block, 0, Math.min(block.length, size - offset));
    }
    await handle.close();
}

/** Median and best of `rounds` timed runs (seconds); `setup` runs untimed before each. */
async function measure(rounds, run, setup = async () => {}) {
    const times = [];
    for (let i = 0; i < rounds; i++) {
        await setup(i);
        const start = performance.now();
        await run(i);
        times.push((performance.now() - start) / 1000);
    }
    times.sort((a, b) => a - b);
    return { median: +times[Math.floor(times.length / 2)].toFixed(4), best: +times[0].toFixed(4) };
}

/** Reads a file in 1 MiB chunks into fresh buffers (an upload without a hasher). */
async function* readChunks(file) {
    const handle = await open(file);
    try {
        for (let position = 0; ; ) {
            const buffer = Buffer.allocUnsafe(1 << 20);
            const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
            if (bytesRead === 0) return;
            position += bytesRead;
            yield buffer.subarray(0, bytesRead);
        }
    } finally {
        await handle.close();
    }
}

async function fileScenario(label, file, size, pool, rounds) {
    const stores = [];
    const freshStore = async () => {
        const root = await mkdtemp(path.join(dir, 'store-'));
        const store = createLocalStore({ root });
        stores.push({ root, store });
        return store;
    };
    const cleanup = async () => {
        for (const { root, store } of stores.splice(0)) {
            await store.close();
            await rm(root, { recursive: true, force: true });
        }
    };
    const { checksum } = await pool.hash(file);
    // Rounds interleave the variants, so a burst of load on this shared machine hits all of them.
    const times = { hashOnly: [], storeOnly: [], copyAndFsync: [], ingest: [] };
    const timed = async (name, run) => {
        const start = performance.now();
        await run();
        times[name].push((performance.now() - start) / 1000);
    };
    for (let i = 0; i < rounds; i++) {
        await timed('hashOnly', () => pool.hash(file));
        let store = await freshStore();
        await store.exists('sha256/00/' + '0'.repeat(62)); // store opened (layout created) before timing
        await timed('storeOnly', () => store.put(readChunks(file), { size, checksum: Promise.resolve(checksum) }));
        await cleanup();
        const target = path.join(dir, `copy-${i}`);
        await timed('copyAndFsync', async () => {
            await copyFile(file, target);
            const handle = await open(target, 'r');
            await handle.sync();
            await handle.close();
        });
        await rm(target, { force: true });
        store = await freshStore();
        await store.exists('sha256/00/' + '0'.repeat(62));
        await timed('ingest', async () => {
            const result = await ingestFile(file, store, { pool });
            if (result.checksum !== checksum || result.skipped) throw new Error('unexpected ingest result');
        });
        await cleanup();
    }
    const rows = {};
    for (const [name, list] of Object.entries(times)) {
        list.sort((a, b) => a - b);
        rows[name] = { median: +list[Math.floor(list.length / 2)].toFixed(4), best: +list[0].toFixed(4) };
    }
    // max(hash only, store only) / ingest: 1.0 means hashing hid completely behind the transfer.
    rows.overlapEfficiency = +(Math.max(rows.hashOnly.median, rows.storeOnly.median) / rows.ingest.median).toFixed(3);
    rows.overlapEfficiencyBest = +(Math.max(rows.hashOnly.best, rows.storeOnly.best) / rows.ingest.best).toFixed(3);
    say(`\n${label} (${(size / MB).toFixed(0)} MB), median / best of ${rounds}:`);
    for (const [name, value] of Object.entries(rows)) {
        if (typeof value === 'number') say(`  ${name.padEnd(16)} ${value}`);
        else say(`  ${name.padEnd(16)} ${value.median.toFixed(3)} s / ${value.best.toFixed(3)} s   ${(size / value.median / MB).toFixed(0)} MB/s`);
    }
    return rows;
}

function rssChild(file) {
    const root = path.join(dir, `rss-store-${path.basename(file)}`);
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--rss-child', file, '--rss-store', root], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').at(-1));
}

try {
    const startup = performance.now();
    const pool = createHashPool();
    await pool.ready();
    results.rows.poolStartupS = +((performance.now() - startup) / 1000).toFixed(4);
    say(`hash pool startup (until a worker has booted): ${results.rows.poolStartupS} s`);

    const checkpoint = path.join(dir, 'checkpoint.bin');
    const size = Math.round(Number(args.mb) * MB);
    await generate(checkpoint, size);
    results.rows.checkpoint = await fileScenario('one checkpoint', checkpoint, size, pool, ROUNDS);

    const bigSize = Math.round(Number(args['overlap-mb']) * 2 ** 20);
    if (bigSize > 0) {
        const big = path.join(dir, 'big.bin');
        await generate(big, bigSize);
        results.rows.big = await fileScenario('overlap file', big, bigSize, pool, Math.min(ROUNDS, 3));
        await rm(big);
    }
    await pool.close();

    // Cold process: from creating the pool to the file stored (module loading excluded).
    const cold = [];
    for (let i = 0; i < ROUNDS; i++) {
        const root = path.join(dir, `cold-store-${i}`);
        const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--cold-child', checkpoint, '--rss-store', root], { encoding: 'utf8' });
        cold.push(JSON.parse(out.trim().split('\n').at(-1)).ingestS);
        await rm(root, { recursive: true, force: true });
    }
    cold.sort((a, b) => a - b);
    results.rows.coldProcessIngest = { median: +cold[Math.floor(cold.length / 2)].toFixed(4), best: +cold[0].toFixed(4) };
    say(`\ncold process (new pool, first file hashed inline while workers boot): ${results.rows.coldProcessIngest.median.toFixed(3)} s / ${results.rows.coldProcessIngest.best.toFixed(3)} s`);

    // End to end through the tracker facade: ingest + one durable embedded-ledger commit.
    try {
        const { initTracker, openTracker } = await import('@hyperprov/tracker');
        const project = path.join(dir, 'project');
        await initTracker({ dir: project });
        const tracker = await openTracker({ dir: project });
        try {
            const stamp = await open(checkpoint, 'r+');
            results.rows.recordEndToEnd = await measure(
                ROUNDS,
                (i) => tracker.record(checkpoint, { key: 'bench/checkpoint', meta: { epoch: i } }),
                async (i) => {
                    await stamp.write(Buffer.from(`round ${i} ${Date.now()}`), 0, undefined, 0); // new bytes each round
                    await stamp.sync();
                },
            );
            await stamp.close();
            const r = results.rows.recordEndToEnd;
            say(`\nrecord (ingest + embedded ledger commit), ${(size / MB).toFixed(0)} MB: ${r.median.toFixed(3)} s / ${r.best.toFixed(3)} s (target ≤ 0.25 s; HyperProv 3.6 s)`);
        } finally {
            await tracker.close();
        }
    } catch (error) {
        results.rows.recordEndToEnd = { skipped: String(error?.message ?? error) };
        say(`\nrecord end to end: skipped (${results.rows.recordEndToEnd.skipped})`);
    }

    const rssSize = Math.round(Number(args['rss-mb']) * 2 ** 20);
    if (rssSize > 0) {
        const sparse = path.join(dir, 'rss.bin');
        await writeFile(sparse, '');
        await truncate(sparse, rssSize);
        results.rows.rssSmall = rssChild(checkpoint);
        results.rows.rssBig = rssChild(sparse);
        say(`\npeak RSS ingesting ${(size / MB).toFixed(0)} MB: ${results.rows.rssSmall.peakRssMb.toFixed(0)} MB; ` +
            `${(rssSize / 2 ** 20).toFixed(0)} MiB: ${results.rows.rssBig.peakRssMb.toFixed(0)} MB (idle ${results.rows.rssBig.idleRssMb.toFixed(0)} MB; target ≤ 200 MB)`);
    }
    results.loadAverage = os.loadavg().map((x) => +x.toFixed(2));
    say(`load average: ${results.loadAverage.join(' ')} (shared machine; rerun if high)`);
    if (args.json) console.log(JSON.stringify(results, null, 2));
} finally {
    await rm(dir, { recursive: true, force: true });
}
