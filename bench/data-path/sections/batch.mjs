// Figure: 100 × 94 MB checkpoints, total time, side by side in one run:
//   S3:    plain lib-storage Uploads of the same files to the same MinIO (target: HyperProv ≤ 1.1×,
//          and ≤ 30 s), HyperProv records, `dvc add` + `dvc push` to an S3 remote on the same MinIO
//   SSHFS: `cp` of the files to the mount (information), HyperProv records (target ≤ 70 s),
//          `dvc add` + `dvc push` to a local remote on the same mount
//   HyperProv ≥ 3× faster than DVC on both.
// HyperProv and the plain baselines keep `--concurrency` files in flight (default 2 = the cores);
// DVC runs with its defaults (push: 4 × cores jobs). Every tool starts without cached hashes.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { ensureDvc, createDvcProject } from '../lib/dvc.mjs';
import { writeRandomFile } from '../lib/files.mjs';
import { load, mapLimit, measure } from '../lib/measure.mjs';
import { createProject } from '../lib/projects.mjs';
import { checkDiskSpace, settle } from '../lib/disk.mjs';
import { BUCKET } from '../lib/servers.mjs';
import { cp, cpSync, plainUpload } from './baselines.mjs';

const GiB = 2 ** 30;

export async function batch(ctx) {
    const { opts, report, s3, sshfs, log } = ctx;
    const dvc = opts.dvc ? await ensureDvc(log) : undefined;
    // The DVC project is the folder holding the files, as DVC needs; HyperProv projects live beside it.
    const dataDir = path.join(ctx.work, 'batch');
    await mkdir(dataDir, { recursive: true });
    const names = Array.from({ length: opts.files }, (_, i) => `ckpt-${String(i).padStart(3, '0')}.bin`);
    const files = names.map((name) => path.join(dataDir, name));
    const total = opts.files * opts.checkpointBytes;
    await checkDiskSpace(dataDir, total);
    log(`generating ${opts.files} × ${(opts.checkpointBytes / 1e6).toFixed(0)} MB of random bytes…`);
    for (const file of files) await writeRandomFile(file, opts.checkpointBytes);
    await settle();
    const what = `${opts.files} × ${(opts.checkpointBytes / 1e6).toFixed(0)} MB`;
    const conc = opts.concurrency;

    /** HyperProv: one record per file, `conc` in flight. */
    const recordAll = async (storeUrl, name) => {
        const project = await createProject(ctx.work, name, storeUrl);
        try {
            return await measure(() => mapLimit(files, conc, (file, i) => project.record(file, `models/run/epoch-${i}`)));
        } finally {
            await project.close();
        }
    };
    /** DVC: a fresh project, `dvc add` of every file in one command, then `dvc push` to the remote. */
    const dvcRun = async (remoteName, url, settings) => {
        const project = await createDvcProject(dvc, dataDir);
        try {
            await project.addRemote(remoteName, url, settings);
            const add = await measure(() => project.exec('add', '--quiet', ...names));
            await settle(); // DVC's copy into .dvc/cache is written back before the push is timed
            const push = await measure(() => project.exec('push', '--quiet'));
            return { seconds: add.seconds + push.seconds, add: add.seconds, push: push.seconds };
        } finally {
            await project.remove(files);
            await settle();
        }
    };
    const dvcRow = async (id, label, ours, run) => {
        let d;
        try {
            d = await run();
        } catch (error) {
            report.add({ id, figure: `${what} → ${label}: DVC failed: ${error.message.split('\n').slice(0, 3).join(' ')}`, value: NaN, unit: 's' });
            return;
        }
        report.add({
            id,
            figure: `${what} → ${label}: dvc add + dvc push`,
            value: d.seconds,
            unit: 's',
            baseline: { label: 'vs HyperProv', value: ours.seconds },
            ratio: d.seconds / ours.seconds,
            targetOf: 'ratio',
            limit: 3,
            higherIsBetter: true,
            target: 'DVC ≥ 3× HP',
            detail: `dvc add ${d.add.toFixed(1)} s, dvc push ${d.push.toFixed(1)} s`,
        });
    };

    if (s3 && opts.stores.has('s3')) {
        const plain = await measure(() => mapLimit(files, conc, (file, i) => plainUpload(s3, file, `plain-batch/${i}.bin`)));
        await s3.empty('plain-batch');
        await settle();
        const ours = await recordAll(s3.storeUrl('hp-batch'), 'batch-s3');
        await s3.empty('hp-batch');
        await settle();
        report.add({
            id: 'batch.s3',
            figure: `${what} → S3 (MinIO): record all (${conc} in flight)`,
            value: ours.seconds,
            unit: 's',
            baseline: { label: 'plain lib-storage Uploads', value: plain.seconds },
            targetOf: 'ratio',
            limit: 1.1,
            target: '≤ 1.1× Upload',
        });
        report.add({ id: 'batch.s3.abs', figure: `  same, absolute (MinIO keeps up)`, value: ours.seconds, unit: 's', limit: 30, target: '≤ 30 s' });
        report.add({
            id: 'cpu.s3.batch',
            figure: `client CPU-s/GiB recorded to S3, ${what}`,
            value: (ours.cpuSeconds * GiB) / total,
            unit: 'CPU-s/GiB',
            baseline: { label: 'plain Upload (no SHA-256)', value: (plain.cpuSeconds * GiB) / total },
            limit: 3,
            target: '≤ 3',
        });
        if (dvc) {
            await dvcRow('batch.s3.dvc', 'S3 (MinIO)', ours, async () => {
                try {
                    return await dvcRun('minio', `s3://${BUCKET}/dvc-batch`, { endpointurl: s3.endpoint, region: s3.server.region });
                } finally {
                    await s3.empty('dvc-batch');
                }
            });
        }
    }

    if (sshfs && opts.stores.has('sshfs')) {
        const cpDir = path.join(sshfs.mountpoint, 'cp-batch');
        await mkdir(cpDir);
        const plain = await measure(() => mapLimit(files, conc, (file) => cp(file, cpDir)));
        await rm(cpDir, { recursive: true, force: true });
        await settle();
        await mkdir(cpDir);
        const plainSync = await measure(() => mapLimit(files, conc, (file) => cpSync(file, path.join(cpDir, path.basename(file)))));
        await rm(cpDir, { recursive: true, force: true });
        await settle();
        const storeDir = path.join(sshfs.mountpoint, 'hp-batch');
        await mkdir(storeDir);
        const ours = await recordAll(`sshfs://${storeDir}`, 'batch-sshfs');
        await rm(storeDir, { recursive: true, force: true });
        await settle();
        report.add({
            id: 'batch.sshfs',
            figure: `${what} → SSHFS: record all (${conc} in flight)`,
            value: ours.seconds,
            unit: 's',
            baseline: { label: `cp to the mount (${conc} in flight)`, value: plain.seconds },
            limit: 70,
            target: '≤ 70 s',
        });
        report.add({
            id: 'batch.sshfs.cp-sync',
            figure: `  (info) cp + sync of each file to the mount; HyperProv = ${(ours.seconds / plainSync.seconds).toFixed(2)}× this`,
            value: plainSync.seconds,
            unit: 's',
        });
        if (dvc) {
            const remote = path.join(sshfs.mountpoint, 'dvc-batch');
            await dvcRow('batch.sshfs.dvc', 'SSHFS (local remote on the mount)', ours, async () => {
                try {
                    return await dvcRun('sshfs', remote, {});
                } finally {
                    await rm(remote, { recursive: true, force: true });
                }
            });
            if (opts.dvcSsh) {
                const { server } = sshfs;
                const dir = path.join(server.remoteDir, 'dvc-ssh');
                await dvcRow('batch.sshfs.dvc-ssh', 'sshd via dvc-ssh (asyncssh)', ours, async () => {
                    try {
                        return await dvcRun('ssh', `ssh://${server.user}@127.0.0.1${dir}`, { port: server.port, keyfile: server.identityFile });
                    } finally {
                        await rm(dir, { recursive: true, force: true });
                    }
                });
            }
        }
    }
    await rm(dataDir, { recursive: true, force: true });
    log(`batch done (load ${load()})`);
}
