// Figure: one checkpoint (94 MB), hash + store + commit on the embedded ledger, per store, against
// the plain tool moving the same file to the same place in the same round:
//   local ≤ 0.25 s;  SSHFS ≤ 1.15 × `cp` to the mount;  S3 ≤ 1.0 × a plain lib-storage Upload.
// Also: client CPU-s per GiB of the S3 records (target ≤ 3), and the first record of a freshly
// opened tracker (hash workers starting) as information.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { HYPERPROV_BIN } from '@hyperprov/cli';
import { initTracker } from '@hyperprov/tracker';
import { run } from '../lib/exec.mjs';
import { mutate, readChunks } from '../lib/files.mjs';
import { measure, summarize } from '../lib/measure.mjs';
import { createProject } from '../lib/projects.mjs';
import { cp, cpSync, deletePlain, plainUpload } from './baselines.mjs';

const GiB = 2 ** 30;

/** SHA-256 of a file, computed outside the timed part. */
async function sha256(file) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk);
    return `sha256:${hash.digest('hex')}`;
}

const CLI = HYPERPROV_BIN;

/** The stores of this run, each with its baselines. */
function storeSetups(ctx) {
    const { s3, sshfs, work } = ctx;
    return {
        local: {
            url: undefined,
            label: 'local store',
            baselines: {
                'cp + sync (same disk)': (file, round) => cpSync(file, path.join(work, `cp-local-${round}.bin`)).then(() => rm(path.join(work, `cp-local-${round}.bin`))),
            },
            limit: 0.25,
            target: '≤ 0.25 s',
        },
        sshfs: sshfs && {
            url: `sshfs://${sshfs.mountpoint}/hp-single`,
            dir: path.join(sshfs.mountpoint, 'hp-single'),
            label: 'SSHFS (loopback)',
            baselines: {
                'cp to the mount': (file, round) => cp(file, path.join(sshfs.mountpoint, `cp-${round}.bin`)).then(() => rm(path.join(sshfs.mountpoint, `cp-${round}.bin`))),
                'cp + sync to the mount': (file, round) =>
                    cpSync(file, path.join(sshfs.mountpoint, `cps-${round}.bin`)).then(() => rm(path.join(sshfs.mountpoint, `cps-${round}.bin`))),
            },
            main: 'cp to the mount',
            limit: 1.15,
            target: '≤ 1.15× cp',
        },
        s3: s3 && {
            url: s3.storeUrl('hp-single'),
            label: 'S3 (MinIO)',
            baselines: {
                'plain lib-storage Upload': async (file, round) => {
                    await plainUpload(s3, file, `plain-single/${round}.bin`);
                    await deletePlain(s3, `plain-single/${round}.bin`);
                },
            },
            main: 'plain lib-storage Upload',
            limit: 1.0,
            target: '≤ 1.0× Upload',
        },
    };
}

export async function singleCheckpoint(ctx) {
    const { opts, report, checkpoint } = ctx;
    const size = opts.checkpointBytes;
    const mb = `${(size / 1e6).toFixed(0)} MB`;
    const setups = storeSetups(ctx);
    for (const name of ['local', 'sshfs', 's3']) {
        const setup = setups[name];
        if (!setup || !opts.stores.has(name)) continue;
        if (setup.dir) await mkdir(setup.dir, { recursive: true });
        const project = await createProject(ctx.work, `single-${name}`, setup.url);
        try {
            const recordOnce = async () => {
                await mutate(checkpoint);
                const sample = await measure(() => project.record(checkpoint, 'models/checkpoint'));
                await project.store.delete(sample.result.record.pointer);
                return sample;
            };
            const cold = await recordOnce(); // first record: hash workers and store start here
            const baselineSamples = Object.fromEntries(Object.keys(setup.baselines).map((k) => [k, []]));
            const samples = [];
            const storeOnly = [];
            for (let round = 0; round < opts.rounds; round++) {
                // Interleaved, so drift in the shared machine's load hits both sides alike.
                for (const [label, fn] of Object.entries(setup.baselines)) {
                    await mutate(checkpoint);
                    baselineSamples[label].push(await measure(() => fn(checkpoint, round)));
                }
                samples.push(await recordOnce());
                // Where the time goes: the store alone, same bytes, no hashing, no ledger.
                await mutate(checkpoint);
                const checksum = await sha256(checkpoint);
                const put = await measure(() => project.store.put(readChunks(checkpoint), { checksum: Promise.resolve(checksum), size }));
                await project.store.delete(put.result.pointer);
                storeOnly.push(put);
            }
            const ours = summarize(samples);
            const bases = Object.fromEntries(Object.entries(baselineSamples).map(([k, v]) => [k, summarize(v)]));
            const main = setup.main && bases[setup.main];
            report.add({
                id: `single.${name}`,
                figure: `${mb} checkpoint → ${setup.label}: record (median of ${opts.rounds})`,
                value: ours.seconds,
                unit: 's',
                ...(main && { baseline: { label: setup.main, value: main.seconds }, targetOf: 'ratio' }),
                limit: setup.limit,
                target: setup.target,
                samples: ours.samples,
                cold: +cold.seconds.toFixed(4),
                baselines: bases,
                detail:
                    `${(size / 2 ** 20 / ours.seconds).toFixed(0)} MiB/s, samples ${ours.samples.join(' ')}` +
                    (main ? `; ${setup.main} samples ${main.samples.join(' ')}` : '') +
                    (name === 'sshfs' ? '; the HyperProv paper (2019): 3.6 s for its 94 MB model to SSHFS' : ''),
            });
            for (const [label, base] of Object.entries(bases)) {
                if (label === setup.main) continue;
                report.add({
                    id: `single.${name}.${label}`,
                    figure: `  (info) same file, ${label}; HyperProv = ${(ours.seconds / base.seconds).toFixed(2)}× this`,
                    value: base.seconds,
                    unit: 's',
                    samples: base.samples,
                });
            }
            const put = summarize(storeOnly);
            report.add({
                id: `single.${name}.store-only`,
                figure: `  (info) store.put alone (no hash, no ledger); HyperProv = ${(ours.seconds / put.seconds).toFixed(2)}× this`,
                value: put.seconds,
                unit: 's',
                samples: put.samples,
            });
            if (name === 'local') {
                // Where the time goes: the ledger's share of a record is one `set` transaction.
                const commits = [];
                for (let round = 0; round < opts.rounds; round++) {
                    const checksum = `sha256:${randomBytes(32).toString('hex')}`;
                    const input = { key: 'models/metadata-only', checksum, size: 1, location: project.storeUrl, pointer: `x/${round}` };
                    commits.push(await measure(() => project.tracker.put(input)));
                }
                const commit = summarize(commits);
                report.add({ id: 'single.ledger', figure: `  (info) ledger commit alone (tracker.put, fsync)`, value: commit.seconds, unit: 's', samples: commit.samples });
            }
            report.add({ id: `single.${name}.cold`, figure: `  (info) first record after openTracker (workers start)`, value: cold.seconds, unit: 's' });
            if (name === 's3') {
                const perGiB = (ours.cpuSeconds * GiB) / size;
                const basePerGiB = (main.cpuSeconds * GiB) / size;
                report.add({
                    id: 'cpu.s3.single',
                    figure: `client CPU-s/GiB recorded to S3, ${mb} checkpoints`,
                    value: perGiB,
                    unit: 'CPU-s/GiB',
                    baseline: { label: 'plain Upload (no SHA-256)', value: basePerGiB },
                    limit: 3,
                    target: '≤ 3',
                });
            }
        } finally {
            await project.close();
        }
        await cliRecords(ctx, name, setup, mb);
    }
}

/**
 * Information: `hyperprov record` through the CLI, process start to exit (what the HyperProv
 * paper's 3.6 s measured end to end), on a project of its own (the embedded ledger allows one
 * process at a time).
 */
async function cliRecords(ctx, name, setup, mb) {
    const { opts, report, checkpoint } = ctx;
    const dir = path.join(ctx.work, `project-cli-${name}`);
    try {
        await initTracker({ dir, ...(setup.url && { store: setup.url }) });
        const samples = [];
        for (let round = 0; round < opts.rounds; round++) {
            await mutate(checkpoint);
            samples.push(await measure(() => run(process.execPath, [CLI, 'record', checkpoint, '--key', 'models/cli', '--dir', dir, '--json'])));
        }
        const cli = summarize(samples);
        report.add({ id: `single.${name}.cli`, figure: `  (info) \`hyperprov record\` CLI, ${mb}, process start to exit`, value: cli.seconds, unit: 's', samples: cli.samples });
    } catch (error) {
        report.add({ id: `single.${name}.cli`, figure: `  (info) \`hyperprov record\` CLI failed: ${error.message.split('\n')[0]}`, value: NaN, unit: 's' });
    }
}
