#!/usr/bin/env node
// Benchmark: one 94 MB checkpoint onto an SSHFS mount over loopback.
//   plain `cp` of the file to the mount  vs  store.put of the same file with SHA-256 computed in
//   the same read pass (main thread, overlapped with the writes), fsync + atomic publish included.
// Target (issue #3): put ≤ 1.15 × cp. Also compares sshfs/ssh option sets to justify the defaults.
// Starts its own private sshd (openssh-server and sshfs are installed with apt-get if missing).
// Needs the package built: npx turbo run build --filter=@hyperprov/storage-sshfs
// Usage: node bench/sshfs-copy.mjs [--rounds 5] [--mb 94] [--variants all|chosen]
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createSshfsStore, mountSshfs, unmountSshfs } from '@hyperprov/storage-sshfs';
import { cpuSecondsOf, ensureSshTools, processTree, sshfsPidsFor, startSshServer } from '@hyperprov/storage-sshfs/testing';

const { values: args } = parseArgs({
    options: {
        rounds: { type: 'string', default: '5' },
        mb: { type: 'string', default: '94' },
        variants: { type: 'string', default: 'all' },
    },
});
const ROUNDS = Number(args.rounds);
const SIZE = Math.round(Number(args.mb) * 1e6);
const CHUNK = 1 << 20;
const MiB = 1 << 20;

// Option sets on top of the library's defaults (reconnect, keep-alives, BatchMode, AES-GCM, no compression).
const VARIANTS = [
    { name: 'chosen: aes128-gcm, Compression=no (library default)', options: {} },
    { name: 'ssh default cipher (chacha20-poly1305)', options: { Ciphers: 'chacha20-poly1305@openssh.com' } },
    { name: 'chosen + max_conns=2', options: { max_conns: 2 } },
    // sshfs sends 32 KiB SFTP writes by default and caps max_write at 64 KiB.
    { name: 'chosen + max_write=65536', options: { max_write: 65536 } },
    { name: 'chosen + Compression=yes', options: { Compression: 'yes' } },
];

/**
 * The file as a stream of 1 MiB chunks, each hashed in the same pass. The next chunk is read and
 * hashed while the store writes the current one (two buffers: the store keeps a chunk until it
 * asks for the next), so hashing overlaps the transfer instead of adding to it.
 */
function hashingReader(file, knownDigest) {
    // With knownDigest nothing is hashed: that isolates the store's own cost from the hash's.
    const hash = knownDigest === undefined ? createHash('sha256') : undefined;
    let resolveDigest;
    let rejectDigest;
    const digest = new Promise((resolve, reject) => {
        resolveDigest = resolve;
        rejectDigest = reject;
    });
    async function* chunks() {
        const handle = await open(file, 'r');
        const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
        try {
            const readAndHash = async (buffer) => {
                const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
                const view = buffer.subarray(0, bytesRead);
                hash?.update(view);
                return view;
            };
            let index = 0;
            let next = readAndHash(buffers[index]);
            for (;;) {
                const current = await next;
                if (current.length === 0) break;
                index ^= 1;
                next = readAndHash(buffers[index]);
                yield current;
            }
            resolveDigest(knownDigest ?? `sha256:${hash.digest('hex')}`);
        } catch (error) {
            rejectDigest(error);
            throw error;
        } finally {
            await handle.close();
        }
    }
    digest.catch(() => {});
    // An async iterable, not a Readable: the store pulls chunks directly, without stream machinery.
    return { body: chunks(), digest };
}

function median(values) {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs a shell command line; returns the CPU seconds its children used (cutime + cstime of the shell). */
function runShell(script, ...argv) {
    const result = spawnSync('sh', ['-c', `${script}; status=$?; cat /proc/$$/stat; exit $status`, 'sh', ...argv], {
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`${script}: ${result.stderr}`);
    const fields = result.stdout.slice(result.stdout.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
}

/**
 * Wall time and CPU seconds of one transfer. CPU counts every process on the path: the client
 * (cp, or this process with its hashing and store threads), the sshfs daemon and its ssh, and the
 * server's sshd session — it does not depend on what else runs on the machine, unlike wall time.
 */
async function measure(pipelinePids, fn) {
    const pipelineBefore = pipelinePids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
    const selfBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    const childCpu = (await fn()) ?? 0;
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const self = process.cpuUsage(selfBefore);
    const pipeline = pipelinePids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0) - pipelineBefore;
    return { wall, cpu: childCpu + pipeline + (self.user + self.system) / 1e6 };
}

async function measureVariant(server, source, variant, digest) {
    const mountpoint = path.join(server.dir, 'mnt');
    const mount = server.mountOptions(mountpoint);
    await mountSshfs({ ...mount, options: { ...mount.options, ...variant.options } });
    const samples = { cp: [], cpSync: [], put: [], putNoHash: [] };
    try {
        const pipelinePids = [...sshfsPidsFor(mountpoint).flatMap((pid) => processTree(pid)), ...server.pids()];
        for (let round = 0; round < ROUNDS; round++) {
            // Interleaved, so drift in machine load hits all columns alike.
            const target = path.join(mountpoint, `cp-${round}.bin`);
            samples.cp.push(await measure(pipelinePids, async () => runShell('cp "$1" "$2"', source, target)));
            await rm(target);
            samples.cpSync.push(await measure(pipelinePids, async () => runShell('cp "$1" "$2" && sync "$2"', source, target)));
            await rm(target);

            const dir = path.join(mountpoint, `store-${round}`);
            await mkdir(dir);
            const store = await createSshfsStore({ mountpoint: dir });
            let result;
            samples.put.push(
                await measure(pipelinePids, async () => {
                    const { body, digest: hashed } = hashingReader(source);
                    result = await store.put(body, { size: SIZE, checksum: hashed });
                }),
            );
            if (result.skipped || result.size !== SIZE || result.checksum !== digest) throw new Error('put did not store the whole file');
            await store.delete(result.pointer);
            samples.putNoHash.push(
                await measure(pipelinePids, async () => {
                    const { body, digest: known } = hashingReader(source, digest);
                    result = await store.put(body, { size: SIZE, checksum: known });
                }),
            );
            if (result.skipped) throw new Error('put without hash was skipped');
            await store.close();
            await rm(dir, { recursive: true, force: true });
        }
    } finally {
        await unmountSshfs(mountpoint);
    }
    const summary = {};
    for (const [name, list] of Object.entries(samples)) {
        summary[name] = { wall: median(list.map((x) => x.wall)), cpu: median(list.map((x) => x.cpu)) };
    }
    return { ...summary, samples };
}

async function main() {
    await ensureSshTools((line) => console.error(line));
    const work = await mkdtemp(path.join(os.tmpdir(), 'hyperprov-bench-sshfs-'));
    const server = await startSshServer();
    try {
        const source = path.join(work, 'checkpoint.bin');
        // Incompressible, like trained weights; written once so it sits in the page cache for all runs.
        const handle = await open(source, 'w');
        for (let written = 0; written < SIZE; written += CHUNK) await handle.write(randomBytes(Math.min(CHUNK, SIZE - written)));
        await handle.close();

        console.log(
            `sshfs-copy: ${SIZE} bytes (${(SIZE / MiB).toFixed(1)} MiB), ${ROUNDS} rounds, median seconds; ` +
                `${os.cpus().length} cores, ${os.cpus()[0]?.model}; load average at start ${os.loadavg()[0].toFixed(2)} (other work on the machine slows all columns)`,
        );
        const digest = `sha256:${createHash('sha256').update(await readFile(source)).digest('hex')}`;
        const variants = args.variants === 'chosen' ? VARIANTS.slice(0, 1) : VARIANTS;
        const rows = [];
        for (const variant of variants) {
            const r = await measureVariant(server, source, variant, digest);
            r.loadAfter = os.loadavg()[0];
            const mibs = (seconds) => (SIZE / MiB / seconds).toFixed(0);
            const col = (name, m) => `${name} ${m.wall.toFixed(3)} s (${mibs(m.wall)} MiB/s, ${m.cpu.toFixed(2)} CPU-s)`;
            rows.push({ variant: variant.name, ...r });
            console.log(
                `${variant.name}\n  ${col('cp', r.cp)} | ${col('cp+fsync', r.cpSync)}\n  ${col('store.put+sha256', r.put)} | ${col('put without hashing', r.putNoHash)}\n` +
                    `  put/cp wall ${(r.put.wall / r.cp.wall).toFixed(2)}x, CPU ${(r.put.cpu / r.cp.cpu).toFixed(2)}x | ` +
                    `put/(cp+fsync) wall ${(r.put.wall / r.cpSync.wall).toFixed(2)}x | load ${r.loadAfter.toFixed(2)}`,
            );
        }
        const outDir = path.join(path.dirname(new URL(import.meta.url).pathname), 'results');
        await mkdir(outDir, { recursive: true });
        await writeFile(path.join(outDir, 'sshfs-copy.json'), JSON.stringify({ size: SIZE, rounds: ROUNDS, date: new Date().toISOString(), rows }, null, 2));
    } finally {
        await server.dispose();
        await rm(work, { recursive: true, force: true });
    }
}

await main();
