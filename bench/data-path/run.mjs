#!/usr/bin/env node
// The data-path benchmarks of issue #3, side by side in one run on this machine (see README.md):
// one checkpoint to each store vs the plain tool, overlap efficiency, client CPU per GiB, a batch of
// checkpoints vs plain uploads and DVC, and peak RSS. Starts MinIO and a private sshd + sshfs mount
// itself; generates its files in a temp dir and removes everything at the end.
// Needs the packages built: npx turbo run build
// Usage: node bench/data-path/run.mjs [--quick] [--help]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readOptions } from './lib/options.mjs';
import { settle } from './lib/disk.mjs';
import { writeRandomFile } from './lib/files.mjs';
import { load } from './lib/measure.mjs';
import { createReport } from './lib/report.mjs';
import { startS3, startSshfs } from './lib/servers.mjs';
import { DVC_PINS } from './lib/dvc.mjs';
import { MINIO_VERSION } from '@hyperprov/storage-s3/testing';
import { singleCheckpoint } from './sections/single.mjs';
import { overlap } from './sections/overlap.mjs';
import { batch } from './sections/batch.mjs';
import { peakRss } from './sections/rss.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const opts = readOptions();
const log = (line) => console.error(line);
const report = createReport(opts);
const work = await mkdtemp(path.join(os.tmpdir(), 'hyperprov-bench-data-path-'));
const servers = [];
let interrupted = false;

async function cleanup() {
    for (const server of servers.reverse()) await server.stop().catch((error) => log(`stopping a server: ${error.message}`));
    await rm(work, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
        if (interrupted) return;
        interrupted = true;
        log(`${signal}: cleaning up…`);
        cleanup().finally(() => process.exit(130));
    });
}

try {
    log(`data-path bench: ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const s3 = opts.stores.has('s3') ? await startS3() : undefined;
    if (s3) servers.push(s3);
    const sshfs = opts.stores.has('sshfs') ? await startSshfs(log) : undefined;
    if (sshfs) servers.push(sshfs);
    const checkpoint = path.join(work, 'checkpoint.bin');
    await writeRandomFile(checkpoint, opts.checkpointBytes);
    await settle();
    const ctx = { opts, report, work, s3, sshfs, log, checkpoint };
    const loads = { start: load() };

    if (opts.sections.has('single')) await singleCheckpoint(ctx);
    if (opts.sections.has('overlap')) {
        ctx.bigFile = path.join(work, 'big.bin');
        await writeRandomFile(ctx.bigFile, opts.bigBytes);
        await settle();
        await overlap(ctx);
        await rm(ctx.bigFile, { force: true });
    }
    if (opts.sections.has('batch')) await batch(ctx);
    if (opts.sections.has('rss')) await peakRss(ctx);
    loads.end = load();

    await report.finish({
        loadAverage: loads,
        servers: { s3: s3 && `MinIO ${MINIO_VERSION} on 127.0.0.1`, sshfs: sshfs && 'OpenSSH sshd on 127.0.0.1 + sshfs mount (library default options)' },
        dvc: opts.dvc ? { pins: DVC_PINS, sshfsRemote: 'local remote on the sshfs mount' } : undefined,
    });
} finally {
    if (!interrupted) await cleanup();
}
