#!/usr/bin/env node
// Benchmark: uploading one file to a real MinIO on 127.0.0.1 (started here, built on first use).
//   baseline: plain @aws-sdk/lib-storage `Upload` of a file read stream, no hashing, SDK defaults
//   hyperprov: createS3Store().put of the same file with SHA-256 computed in the same read pass
//              (main thread; the checksum is handed to put as a promise, as the tracker does)
// Reports MiB/s, client CPU-seconds per GiB (process.cpuUsage: user + system of this process;
// MinIO's own CPU is not counted but competes for the same 2 cores) and the peak RSS of this process
// (cumulative: variants run one after another in the same process).
// Targets (issue #3): 94 MB put ≤ 1.0 × lib-storage time; ≤ 3 client CPU-s/GiB with the hash.
// Needs the package built: npx turbo run build --filter=@hyperprov/storage-s3
// Usage: node bench/s3-upload.mjs [--sizes 94,1024] [--rounds 3] [--variants all|main] [--only 'name part|…'] [--json out.json]
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createS3Store } from '@hyperprov/storage-s3';
import { createTestBucket, startMinio } from '@hyperprov/storage-s3/testing';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { values: args } = parseArgs({
    options: {
        sizes: { type: 'string', default: '94,1024' },
        rounds: { type: 'string', default: '3' },
        variants: { type: 'string', default: 'all' },
        only: { type: 'string' },
        json: { type: 'string' },
    },
});
const MiB = 1 << 20;
const GiB = 1 << 30;
const ROUNDS = Number(args.rounds);
// 94 -> the 94 MB checkpoint of the HyperProv paper (decimal MB); 1024 -> a 1 GiB file.
const SIZES = args.sizes.split(',').map((mb) => (Number(mb) >= 1024 ? Number(mb) * MiB : Math.round(Number(mb) * 1e6)));
const READ_CHUNK = MiB; // large reads: Node's default 64 KiB chunks halve hashing throughput

/** Writes `size` random bytes (random so that nothing on the way can compress them). */
async function makeFile(dir, size) {
    const file = path.join(dir, `bench-${size}.bin`);
    const handle = await open(file, 'w');
    const block = randomBytes(8 * MiB);
    for (let offset = 0; offset < size; offset += block.length) {
        await handle.write(block, 0, Math.min(block.length, size - offset));
        block.writeUInt32BE(offset >>> 0, 0);
    }
    await handle.close();
    return file;
}

/** Runs fn once, returns seconds, client CPU seconds and the peak RSS sampled while it ran. */
async function measure(fn) {
    let peakRss = process.memoryUsage.rss();
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 25);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const result = await fn();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRss, result };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const server = await startMinio();
const bucket = 'bench';
await createTestBucket(server, bucket);
const credentials = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
const rawClient = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials });
const dir = await mkdtemp(path.join(os.tmpdir(), 'hyperprov-s3-bench-'));

function storeWith(options = {}) {
    return createS3Store({ bucket, prefix: 'store', endpoint: server.endpoint, region: server.region, credentials, ...options });
}

/** store.put of the file with SHA-256 in the same read pass, handed over as a checksum promise. */
async function putHashed(store, file, size) {
    const hash = createHash('sha256');
    let settle;
    const checksum = new Promise((resolve, reject) => (settle = { resolve, reject }));
    async function* body() {
        try {
            for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK })) {
                hash.update(chunk);
                yield chunk;
            }
            settle.resolve(`sha256:${hash.digest('hex')}`);
        } catch (error) {
            settle.reject(error);
            throw error;
        }
    }
    const result = await store.put(body(), { checksum, size });
    await store.delete(result.pointer);
    return result;
}

const VARIANTS = [
    {
        name: 'lib-storage Upload, no hash (SDK defaults: 5 MiB parts, queue 4)',
        main: true,
        run: async (file) => {
            const key = `plain/${path.basename(file)}`;
            await new Upload({ client: rawClient, params: { Bucket: bucket, Key: key, Body: createReadStream(file) } }).done();
            await rawClient.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        },
    },
    {
        name: 'lib-storage Upload, no hash, 16 MiB parts, queue 4',
        run: async (file) => {
            const key = `plain16/${path.basename(file)}`;
            await new Upload({
                client: rawClient,
                partSize: 16 * MiB,
                params: { Bucket: bucket, Key: key, Body: createReadStream(file, { highWaterMark: READ_CHUNK }) },
            }).done();
            await rawClient.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        },
    },
    { name: 'hyperprov store.put + SHA-256 (32 MiB parts, queue 2: defaults)', main: true, store: {} },
    { name: 'hyperprov store.put + SHA-256 (8 MiB parts, queue 4)', store: { partSize: 8 * MiB, queueSize: 4 } },
    { name: 'hyperprov store.put + SHA-256 (16 MiB parts, queue 4)', store: { partSize: 16 * MiB, queueSize: 4 } },
    { name: 'hyperprov store.put + SHA-256 (32 MiB parts, queue 4)', store: { partSize: 32 * MiB, queueSize: 4 } },
];

const rows = [];
try {
    for (const size of SIZES) {
        const file = await makeFile(dir, size);
        const wanted = (variant) =>
            (args.variants !== 'main' || variant.main) && (!args.only || args.only.split('|').some((part) => variant.name.includes(part)));
        const chosen = VARIANTS.filter(wanted).map((variant) => {
            const store = variant.store ? storeWith({ ...variant.store, staleUploadAgeMs: 0 }) : undefined;
            return { ...variant, exec: store ? () => putHashed(store, file, size) : () => variant.run(file), close: () => store?.close(), samples: [] };
        });
        for (const variant of chosen) await variant.exec(); // warm-up: connections, JIT, MinIO's first write
        // Rounds interleave the variants, so a load change on the shared machine hits all of them alike.
        for (let round = 0; round < ROUNDS; round++) {
            for (const variant of chosen) variant.samples.push(await measure(variant.exec));
        }
        for (const variant of chosen) {
            await variant.close();
            const seconds = median(variant.samples.map((s) => s.seconds));
            const cpuSeconds = median(variant.samples.map((s) => s.cpuSeconds));
            const row = {
                variant: variant.name,
                bytes: size,
                seconds: Number(seconds.toFixed(3)),
                mibPerSecond: Number((size / MiB / seconds).toFixed(1)),
                cpuSecondsPerGiB: Number(((cpuSeconds * GiB) / size).toFixed(2)),
                peakRssMB: Math.round(Math.max(...variant.samples.map((s) => s.peakRss)) / 1e6),
                rounds: ROUNDS,
            };
            rows.push(row);
            console.log(
                `${(size / 1e6).toFixed(0).padStart(5)} MB  ${row.variant.padEnd(66)} ${row.seconds.toFixed(3).padStart(7)} s ` +
                    `${row.mibPerSecond.toFixed(1).padStart(7)} MiB/s ${row.cpuSecondsPerGiB.toFixed(2).padStart(6)} CPU-s/GiB ${String(row.peakRssMB).padStart(5)} MB RSS`,
            );
        }
        await rm(file, { force: true });
        const base = rows.find((r) => r.bytes === size && r.variant.startsWith('lib-storage Upload, no hash (SDK'));
        const ours = rows.find((r) => r.bytes === size && r.variant.startsWith('hyperprov') && r.variant.includes('defaults'));
        if (base && ours) {
            console.log(`${(size / 1e6).toFixed(0).padStart(5)} MB  hyperprov time / lib-storage time = ${(ours.seconds / base.seconds).toFixed(2)} (target <= 1.0)\n`);
        }
    }
} finally {
    rawClient.destroy();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
}
const report = { benchmark: 's3-upload', server: 'minio (127.0.0.1)', node: process.version, cpus: os.cpus().length, rows };
if (args.json) await writeFile(args.json, JSON.stringify(report, null, 2));
console.log(JSON.stringify(report));
