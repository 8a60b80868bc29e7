// Figure: overlap efficiency on a 1 GB file = max(hash-only, upload-only) / recorded time, per
// store (target ≥ 0.85 for S3 and SSHFS; local shown for information). 1.0 means hashing hides
// completely behind the transfer (or the transfer behind hashing); 0.5 would mean one follows the
// other.
//   hash-only:   the tracker's hash pool (piscina workers, 1 MiB reads) hashing the file
//   upload-only: the same store's put of the same bytes from a plain 1 MiB read loop, with the
//                checksum handed over as an already-resolved promise, so nothing hashes them
//   recorded:    tracker.record (hash ‖ upload, then the ledger commit)
// Also: client CPU-s/GiB of the S3 record (target ≤ 3).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { mutate, readChunks } from '../lib/files.mjs';
import { measure, median, summarize } from '../lib/measure.mjs';
import { cpuOfPids, pidsMatching } from '../lib/proc-cpu.mjs';
import { createProject } from '../lib/projects.mjs';
import { createHashPool } from '@hyperprov/tracker/hashing';

const GiB = 2 ** 30;

export async function overlap(ctx) {
    const { opts, report, s3, sshfs, bigFile } = ctx;
    const size = opts.bigBytes;
    const label = `${(size / GiB).toFixed(size % GiB ? 2 : 0)} GiB`;
    const stores = {
        local: { url: undefined, label: 'local store' },
        sshfs: sshfs && { url: `sshfs://${sshfs.mountpoint}/hp-overlap`, dir: path.join(sshfs.mountpoint, 'hp-overlap'), label: 'SSHFS', limit: 0.85 },
        s3: s3 && { url: s3.storeUrl('hp-overlap'), label: 'S3 (MinIO)', limit: 0.85 },
    };
    // Server-side (and sshfs client) processes, whose CPU competes for the same 2 cores.
    const others = {
        local: async () => [],
        sshfs: async () => (sshfs ? [...sshfs.server.pids(), ...(await pidsMatching(sshfs.mountpoint))] : []),
        s3: async () => (s3 ? [s3.server.process.pid] : []),
    };
    /** measure() plus the CPU seconds the other processes of this store spent meanwhile. */
    const measureAll = async (name, fn) => {
        const before = await cpuOfPids(others[name]);
        const sample = await measure(fn);
        sample.otherCpuSeconds = (await cpuOfPids(others[name])) - before;
        return sample;
    };
    // The pool as the tracker builds it (defaults: one thread per core), warmed up once.
    const pool = createHashPool();
    try {
        await pool.hash(bigFile);
        for (const name of ['local', 'sshfs', 's3']) {
            const setup = stores[name];
            if (!setup || !opts.stores.has(name)) continue;
            if (setup.dir) await mkdir(setup.dir, { recursive: true });
            const project = await createProject(ctx.work, `overlap-${name}`, setup.url);
            const hashOnly = [];
            const uploadOnly = [];
            const recorded = [];
            try {
                for (let round = 0; round < opts.bigRounds; round++) {
                    await mutate(bigFile);
                    const hashed = await measureAll(name, () => pool.hash(bigFile));
                    hashOnly.push(hashed);
                    const { checksum } = hashed.result;
                    const uploaded = await measureAll(name, () =>
                        project.store.put(readChunks(bigFile), { checksum: Promise.resolve(checksum), size }),
                    );
                    uploadOnly.push(uploaded);
                    await project.store.delete(uploaded.result.pointer);
                    const sample = await measureAll(name, () => project.record(bigFile, 'models/big'));
                    if (sample.result.record.checksum !== checksum) throw new Error('recorded checksum differs from the hash-only run');
                    recorded.push(sample);
                    await project.store.delete(sample.result.record.pointer);
                }
            } finally {
                await project.close();
            }
            const h = summarize(hashOnly);
            const u = summarize(uploadOnly);
            const r = summarize(recorded);
            const mibs = (s) => `${(size / 2 ** 20 / s).toFixed(0)} MiB/s`;
            const others = (samples) => median(samples.map((x) => x.otherCpuSeconds));
            const cpu = (label, x, samples) =>
                `${label} ${x.seconds.toFixed(2)} s (${mibs(x.seconds)}; CPU: client ${x.cpuSeconds.toFixed(2)} s + servers/sshfs ${others(samples).toFixed(2)} s)`;
            report.add({
                id: `overlap.${name}`,
                figure: `overlap efficiency, ${label} → ${setup.label}`,
                value: Math.max(h.seconds, u.seconds) / r.seconds,
                unit: '',
                ...(setup.limit !== undefined && { limit: setup.limit, target: '≥ 0.85', higherIsBetter: true }),
                detail: [cpu('hash-only', h, hashOnly), cpu('upload-only', u, uploadOnly), cpu('recorded', r, recorded)].join('; '),
                hashOnly: h,
                uploadOnly: u,
                recorded: r,
            });
            if (name === 's3') {
                report.add({
                    id: 'cpu.s3.big',
                    figure: `client CPU-s/GiB recorded to S3, ${label} file`,
                    value: (r.cpuSeconds * GiB) / size,
                    unit: 'CPU-s/GiB',
                    baseline: { label: 'upload-only (no SHA-256)', value: (u.cpuSeconds * GiB) / size },
                    ratioOf: 'none',
                    limit: 3,
                    target: '≤ 3',
                });
            }
        }
    } finally {
        await pool.close();
    }
}
