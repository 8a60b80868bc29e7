// Figure: peak client RSS while recording a 2 GB file (target ≤ 200 MB, independent of file size).
// Each recording runs in its own child process (record-child.mjs) that reports its VmHWM; the same
// child recording a 1 MB and a 94 MB file shows what is fixed cost (Node, AWS SDK, ledger) and
// that the peak does not grow with the file.
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initTracker } from '@hyperprov/tracker';
import { settle } from '../lib/disk.mjs';
import { writeRandomFile } from '../lib/files.mjs';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'record-child.mjs');

function child(projectDir, file, key) {
    return new Promise((resolve, reject) =>
        execFile(process.execPath, [CHILD, projectDir, file, key], { maxBuffer: 1 << 20 }, (error, stdout, stderr) =>
            error ? reject(new Error(`record-child failed: ${stderr || error.message}`)) : resolve(JSON.parse(stdout.trim().split('\n').at(-1))),
        ),
    );
}

export async function peakRss(ctx) {
    const { opts, report, s3, sshfs, work, checkpoint, log } = ctx;
    const bigFile = path.join(work, 'rss.bin');
    const tinyFile = path.join(work, 'tiny.bin');
    log(`generating ${(opts.rssBytes / 2 ** 20).toFixed(0)} MiB for the RSS figure…`);
    await writeRandomFile(bigFile, opts.rssBytes);
    await writeRandomFile(tinyFile, 1e6);
    await settle();
    const stores = {
        local: { url: undefined, label: 'local store' },
        sshfs: sshfs && { url: `sshfs://${sshfs.mountpoint}/hp-rss`, dir: path.join(sshfs.mountpoint, 'hp-rss'), label: 'SSHFS' },
        s3: s3 && { url: s3.storeUrl('hp-rss'), label: 'S3 (MinIO)' },
    };
    const MB = 1e6;
    try {
        for (const name of ['local', 'sshfs', 's3']) {
            const setup = stores[name];
            if (!setup || !opts.stores.has(name)) continue;
            if (setup.dir) await mkdir(setup.dir, { recursive: true });
            const dir = path.join(work, `project-rss-${name}`);
            await initTracker({ dir, ...(setup.url && { store: setup.url }) });
            const tiny = await child(dir, tinyFile, 'rss/tiny');
            const mid = await child(dir, checkpoint, 'rss/checkpoint');
            const big = await child(dir, bigFile, 'rss/big');
            const mb = (kib) => (kib * 1024) / MB;
            report.add({
                id: `rss.${name}`,
                figure: `peak client RSS, ${(opts.rssBytes / 2 ** 30).toFixed(opts.rssBytes % 2 ** 30 ? 2 : 0)} GiB → ${setup.label}`,
                value: mb(big.peakRssKiB),
                unit: 'MB',
                baseline: { label: `same, ${(opts.checkpointBytes / MB).toFixed(0)} MB file`, value: mb(mid.peakRssKiB) },
                ratioOf: 'none',
                limit: 200,
                target: '≤ 200 MB',
                detail: `= ${(big.peakRssKiB / 1024).toFixed(0)} MiB; 1 MB file: ${mb(tiny.peakRssKiB).toFixed(0)} MB; process at start ${mb(big.startRssKiB).toFixed(0)} MB; peak (MB) heap ${big.peakMemoryUsageMB.heapTotal}, off-heap buffers ${big.peakMemoryUsageMB.arrayBuffers}; big record ${big.seconds.toFixed(1)} s, ${big.cpuSeconds.toFixed(1)} CPU-s`,
                children: { tiny, mid, big },
            });
            if (setup.dir) await rm(setup.dir, { recursive: true, force: true });
            if (name === 's3') await s3.empty('hp-rss');
        }
    } finally {
        await rm(bigFile, { force: true });
        await rm(tinyFile, { force: true });
    }
}
