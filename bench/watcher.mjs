#!/usr/bin/env node
// Benchmark: the folder watcher (issue "Track training as it happens").
//   - latency from a checkpoint's last write to its commit, seen by a real `hyperprov watch
//     --json` child on a fresh embedded project with the local store (target <= settle + 0.5 s).
//     Checkpoints are torch-like zips written in place in chunks, as torch.save does; the time
//     of the last write is taken right after the writer closes the file, the commit time when
//     the child's `recorded` line arrives.
//   - idle CPU of the same child over --idle-seconds (default 60) with nothing being written,
//     from /proc/<pid>/stat (utime + stime, the child's own threads).
// Needs the packages built (`npm run build`) and Linux (/proc). Files are removed afterwards.
// Usage: node bench/watcher.mjs [--checkpoints 8] [--mb 16] [--settle 1000] [--idle-seconds 60] [--json]
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { crc32 } from 'node:zlib';
import { HYPERPROV_BIN } from '@hyperprov/cli';

const { values: args } = parseArgs({
    options: {
        checkpoints: { type: 'string', default: '8' },
        mb: { type: 'string', default: '16' },
        settle: { type: 'string', default: '1000' },
        'idle-seconds': { type: 'string', default: '60' },
        json: { type: 'boolean', default: false },
    },
});
const CHECKPOINTS = Number(args.checkpoints);
const MB = Number(args.mb);
const SETTLE = Number(args.settle);
const IDLE_S = Number(args['idle-seconds']);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pct = (values, p) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/** A stored zip laid out as torch.save writes one: data entry, version entry, central directory, end record. */
function torchLikeZip(bytes) {
    const entries = [
        { name: 'archive/data/0', data: randomBytes(bytes) },
        { name: 'archive/version', data: Buffer.from('3\n') },
    ];
    const parts = [];
    const central = [];
    let offset = 0;
    for (const { name, data } of entries) {
        const nameBytes = Buffer.from(name);
        const local = Buffer.alloc(30);
        local.writeUInt32LE(0x04034b50, 0);
        local.writeUInt16LE(20, 4);
        local.writeUInt32LE(crc32(data), 14);
        local.writeUInt32LE(data.length, 18);
        local.writeUInt32LE(data.length, 22);
        local.writeUInt16LE(nameBytes.length, 26);
        parts.push(local, nameBytes, data);
        const header = Buffer.alloc(46);
        header.writeUInt32LE(0x02014b50, 0);
        header.writeUInt32LE(crc32(data), 16);
        header.writeUInt32LE(data.length, 20);
        header.writeUInt32LE(data.length, 24);
        header.writeUInt16LE(nameBytes.length, 28);
        header.writeUInt32LE(offset, 42);
        central.push(header, nameBytes);
        offset += 30 + nameBytes.length + data.length;
    }
    const cd = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(offset, 16);
    return Buffer.concat([...parts, cd, end]);
}

/** CPU seconds (user + system) of a process so far, from /proc. */
function cpuSeconds(pid) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // After "pid (comm) ": state is field 3, utime 14, stime 15 (1-based in proc(5)).
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
}

const root = await mkdtemp(path.join(os.tmpdir(), 'hp-bench-watch-'));
let child;
try {
    const cli = (...argv) => execFileSync(process.execPath, [HYPERPROV_BIN, ...argv], { cwd: root, encoding: 'utf8' });
    cli('init');
    await mkdir(path.join(root, 'data', 'train'), { recursive: true });
    for (let i = 0; i < 50; i++) await writeFile(path.join(root, 'data', 'train', `img${i}.jpg`), randomBytes(4096));
    await mkdir(path.join(root, 'out'));
    child = spawn(process.execPath, [HYPERPROV_BIN, 'watch', '--models', 'out', '--dataset', 'train=data/train', '--settle', String(SETTLE), '--json'], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
    });
    const recordedAt = new Map();
    const queuedAt = new Map();
    let ready = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
        const event = JSON.parse(line);
        if (event.event === 'ready') ready = true;
        if (event.event === 'recorded') recordedAt.set(event.model, performance.now());
        if (event.event === 'queued') queuedAt.set(event.model, performance.now());
    });
    while (!ready) await sleep(20);

    const latencies = [];
    const handOvers = [];
    for (let i = 1; i <= CHECKPOINTS; i++) {
        const data = torchLikeZip(MB * 1024 * 1024);
        const model = `out/ckpt-epoch${i}.pt`;
        // In place, 8 chunks with 50 ms pauses (shorter than the settle time), as a slow disk writer.
        const handle = await open(path.join(root, model), 'w');
        const chunk = Math.ceil(data.length / 8);
        for (let at = 0; at < data.length; at += chunk) {
            await handle.write(data, at, Math.min(chunk, data.length - at), at);
            if (at + chunk < data.length) await sleep(50);
        }
        await handle.close();
        const lastWrite = performance.now();
        while (!recordedAt.has(model)) await sleep(5);
        latencies.push(recordedAt.get(model) - lastWrite);
        handOvers.push(queuedAt.get(model) - lastWrite);
        // The next epoch's "training".
        await sleep(500);
    }

    // Idle: the tracker lets go of the project 3 s after the last commit; measured from then on.
    await sleep(4000);
    const cpuBefore = cpuSeconds(child.pid);
    const wallBefore = performance.now();
    await sleep(IDLE_S * 1000);
    const idleCpu = cpuSeconds(child.pid) - cpuBefore;
    const idleWall = (performance.now() - wallBefore) / 1000;

    const report = {
        settleMs: SETTLE,
        checkpoints: CHECKPOINTS,
        checkpointMb: MB,
        sink: 'the project tracker in-process (embedded ledger, local store, fsync)',
        latencyMs: { p50: Math.round(pct(latencies, 50)), p95: Math.round(pct(latencies, 95)), max: Math.round(Math.max(...latencies)) },
        targetMs: SETTLE + 500,
        // The watcher's part (settle, format check, content-dedupe hash, hand-over) and the outbox's (snapshot, hash, store, ledger).
        handOverMs: { p50: Math.round(pct(handOvers, 50)), p95: Math.round(pct(handOvers, 95)) },
        idle: { seconds: Math.round(idleWall), cpuSeconds: Math.round(idleCpu * 1000) / 1000, percentOfOneCore: Math.round((idleCpu / idleWall) * 100 * 1000) / 1000 },
        node: process.version,
        cpus: os.cpus().length,
        load: os.loadavg()[0],
    };
    if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
        console.log(`hyperprov watch, ${CHECKPOINTS} checkpoints of ${MB} MB, settle ${SETTLE} ms (load ${report.load.toFixed(1)}, ${report.cpus} cores)`);
        console.log(`  last write -> commit  p50 ${report.latencyMs.p50} ms  p95 ${report.latencyMs.p95} ms  max ${report.latencyMs.max} ms   (target <= ${report.targetMs} ms)`);
        console.log(`  of which last write -> handed to the outbox  p50 ${report.handOverMs.p50} ms  p95 ${report.handOverMs.p95} ms`);
        console.log(`  idle CPU over ${report.idle.seconds} s: ${report.idle.cpuSeconds} s (${report.idle.percentOfOneCore} % of one core)`);
    }
    const out = new URL('./results/', import.meta.url);
    await mkdir(out, { recursive: true });
    await writeFile(new URL('watcher.json', out), `${JSON.stringify(report, null, 2)}\n`);
    child.kill('SIGINT');
    await new Promise((resolve) => child.on('exit', resolve));
} finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
}
