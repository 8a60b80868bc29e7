/**
 * The epoch hook on a real project: embedded ledger, local store, real files and a real child
 * process killed with SIGKILL. Checks what a training loop relies on: the record holds the bytes
 * of the epoch even when the trainer overwrites the file next, dependencies are the manifests and
 * the previous checkpoint, retries and restarts record each checkpoint exactly once.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTrackerError } from '@hyperprov/errors';
import { initTracker, openTracker, type Tracker } from '../index.js';

let dir: string;
let tracker: Tracker;

const sha = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hp-epoch-'));
    await initTracker({ dir, durability: 'none' });
    for (const [name, files] of [['train', 3], ['test', 2]] as const) {
        await mkdir(path.join(dir, 'data', name), { recursive: true });
        for (let i = 0; i < files; i++) await writeFile(path.join(dir, 'data', name, `img${i}.jpg`), `${name}-${i}`);
    }
    await mkdir(path.join(dir, 'out'));
    tracker = await openTracker({ dir, run: 'run-a' });
});
afterEach(async () => {
    await tracker.close();
    await rm(dir, { recursive: true, force: true });
});

const datasets = () => ({ train: path.join(dir, 'data/train'), test: path.join(dir, 'data/test') });

describe('tracker.epoch', { timeout: 60_000 }, () => {
    it('records each epoch of an overwritten checkpoint with its own bytes, the manifests and the previous checkpoint', async () => {
        const model = path.join(dir, 'out', 'model.keras');
        const written: string[] = [];
        const handles = [];
        for (let epoch = 0; epoch < 3; epoch++) {
            const bytes = Buffer.alloc(256 * 1024, epoch + 1);
            await writeFile(model, bytes); // in place, to the same name, as Keras does
            written.push(sha(bytes));
            const handle = await tracker.epoch({ model, epoch, metrics: { loss: 1 / (epoch + 1) }, params: { lr: 0.01 }, datasets: datasets() });
            // Once snapshotted, the trainer may overwrite the file.
            await handle.snapshotted;
            handles.push(handle);
        }
        const results = await Promise.all(handles.map((handle) => handle.committed));
        expect(results.map((result) => result.record.checksum)).toEqual(written);
        expect(results.every((result) => result.record.key === 'models/out/model.keras' && !result.duplicate)).toBe(true);
        // The datasets did not change: one manifest each, shared by all epochs.
        const trainIds = new Set(results.map((result) => result.datasets.train));
        expect(trainIds.size).toBe(1);
        const [first, second, third] = results;
        expect(first?.record.dependencies.sort()).toEqual([first?.datasets.train, first?.datasets.test].sort());
        expect(second?.previous).toBe(first?.record.id);
        expect(third?.record.dependencies).toContain(second?.record.id);
        expect(third?.record.meta).toMatchObject({ run: 'run-a', epoch: 2, metrics: { loss: 1 / 3 }, params: { lr: 0.01 } });
        expect(third?.record.type).toBe('transformation');
        const runs = await tracker.runs();
        expect(runs.items.find((run) => run.run === 'run-a')).toMatchObject({ epochs: 3, keys: ['models/out/model.keras'], lastEpoch: 2, lastRecordId: third?.record.id });
        const run = await tracker.run('run-a');
        expect(run.records.items.map((record) => record.meta.epoch)).toEqual([0, 1, 2]);
        // Nothing left in the outbox but the done results.
        expect((await readdir(path.join(dir, '.hyperprov', 'outbox'))).filter((name) => name.startsWith('e'))).toEqual([]);
        expect((await tracker.flush({ timeoutMs: 1000 })).done).toBe(true);
    });

    it('a changed dataset gets a new manifest that later epochs depend on', async () => {
        const model = path.join(dir, 'out', 'ckpt.pt');
        await writeFile(model, 'epoch-0');
        const a = await (await tracker.epoch({ model, epoch: 0, datasets: datasets() })).committed;
        await writeFile(path.join(dir, 'data', 'train', 'img9.jpg'), 'new image');
        await writeFile(model, 'epoch-1');
        const b = await (await tracker.epoch({ model, epoch: 1, datasets: datasets() })).committed;
        expect(b.datasets.train).not.toBe(a.datasets.train);
        expect(b.datasets.test).toBe(a.datasets.test);
        expect(b.record.dependencies).toEqual(expect.arrayContaining([b.datasets.train, b.datasets.test, a.record.id]));
    });

    it('records a checkpoint directory as one item with a manifest of its files', async () => {
        const ckpt = path.join(dir, 'out', 'checkpoint-500');
        await mkdir(ckpt);
        await writeFile(path.join(ckpt, 'model.safetensors'), Buffer.alloc(4096, 7));
        await writeFile(path.join(ckpt, 'trainer_state.json'), '{"global_step":500}');
        const result = await (await tracker.epoch({ model: ckpt, key: 'models/bert', epoch: 1, datasets: datasets() })).committed;
        expect(result.record.key).toBe('models/bert');
        expect(result.record.meta).toMatchObject({ epoch: 1, run: 'run-a' });
        const out = path.join(dir, 'fetched');
        await tracker.fetch(result.record.id, out);
        const manifest = JSON.parse(await (await import('node:fs/promises')).readFile(out, 'utf8')) as { entries: { path: string }[] };
        expect(manifest.entries.map((file) => file.path).sort()).toEqual(['model.safetensors', 'trainer_state.json']);
    });

    it('the same idempotency key records once; bad input is refused before anything is queued', async () => {
        const model = path.join(dir, 'out', 'm.bin');
        await writeFile(model, 'weights');
        const one = await tracker.epoch({ model, epoch: 0, idempotencyKey: 'job-7/epoch-0' });
        const two = await tracker.epoch({ model, epoch: 0, idempotencyKey: 'job-7/epoch-0' });
        expect(two.entry).toBe(one.entry);
        const [a, b] = await Promise.all([one.committed, two.committed]);
        expect(b.record.id).toBe(a.record.id);
        // After commit, a retry (a new process, an HTTP retry) gets the first result back.
        const three = await tracker.epoch({ model, epoch: 0, idempotencyKey: 'job-7/epoch-0' });
        expect((await three.committed).duplicate).toBe(true);
        expect((await tracker.history('models/out/m.bin')).items).toHaveLength(1);

        await expect(tracker.epoch({ model: path.join(dir, 'missing.pt') })).rejects.toSatisfy((e) => isTrackerError(e, 'INVALID_ARGUMENT'));
        await expect(tracker.epoch({ model, epoch: -1 })).rejects.toSatisfy((e) => isTrackerError(e, 'INVALID_ARGUMENT'));
        await expect(tracker.epoch({ model, expect: { size: 3, mtimeMs: 1 } })).rejects.toSatisfy((e) => isTrackerError(e, 'FILE_CHANGED'));
    });

    it('close waits (bounded) for the epochs this tracker accepted', async () => {
        const model = path.join(dir, 'out', 'close.pt');
        await writeFile(model, 'weights at close');
        const handle = await tracker.epoch({ model, epoch: 0 });
        await tracker.close();
        expect((await handle.committed).record.checksum).toBe(sha('weights at close'));
        tracker = await openTracker({ dir });
    });

    it('a store outage queues the epoch and retries until the store is back', async () => {
        await tracker.close();
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir);
        const storeDir = path.join(dir, 'store');
        await initTracker({ dir, store: storeDir, durability: 'none' });
        const failures: string[] = [];
        tracker = await openTracker({ dir, run: 'run-b', onEpochAttemptFailed: (status) => failures.push(status.error?.code ?? '') });
        // The store's directory replaced by a file: every write into it fails.
        await mkdir(storeDir, { recursive: true });
        await rename(storeDir, `${storeDir}.away`);
        await writeFile(storeDir, 'not a directory');
        const model = path.join(dir, 'model.pt');
        await writeFile(model, 'weights of epoch 0');
        const handle = await tracker.epoch({ model, epoch: 0 });
        await waitFor(async () => failures.length >= 2);
        expect((await tracker.epochStatus(handle.entry))?.state).toBe('snapshotted');
        const flushed = await tracker.flush({ timeoutMs: 200 });
        expect(flushed.done).toBe(false);
        expect(flushed.pending.map((status) => status.entry)).toEqual([handle.entry]);
        // A second epoch during the outage waits behind the first, whatever their retry times.
        await writeFile(model, 'weights of epoch 1');
        const next = await tracker.epoch({ model, epoch: 1 });
        await next.snapshotted;
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await rm(storeDir);
        await rename(`${storeDir}.away`, storeDir);
        const result = await handle.committed;
        expect(result.record.checksum).toBe(sha('weights of epoch 0'));
        expect((await tracker.epochStatus(handle.entry))?.state).toBe('committed');
        const second = await next.committed;
        expect(second.previous).toBe(result.record.id);
        expect(second.record.dependencies).toEqual([result.record.id]);
    });

    it('a process killed with SIGKILL right after the hook returned: the next start records the checkpoint exactly once', async () => {
        await tracker.close();
        const model = path.join(dir, 'out', 'killed.pt');
        await writeFile(model, Buffer.alloc(1 << 20, 3));
        const entry = await runChild(`
            const { openTracker } = await import(${JSON.stringify(trackerEntry())});
            const tracker = await openTracker({ dir: ${JSON.stringify(dir)}, run: 'run-k' });
            const handle = await tracker.epoch({ model: ${JSON.stringify(model)}, epoch: 4, datasets: ${JSON.stringify(datasets())} });
            process.stdout.write(handle.entry, () => process.kill(process.pid, 'SIGKILL'));
        `);
        expect(entry).toMatch(/^e[0-9a-f]{24}$/);
        // Overwritten after the crash: the entry's snapshot may be missing, so it must either have
        // the bytes of the hook's time or fail as FILE_CHANGED, never record the new bytes.
        tracker = await openTracker({ dir, drainOutbox: true });
        const flushed = await tracker.flush({ timeoutMs: 30_000 });
        expect(flushed.done).toBe(true);
        const status = await tracker.epochStatus(entry);
        expect(status?.state).toBe('committed');
        const history = await tracker.history('models/out/killed.pt');
        expect(history.items).toHaveLength(1);
        expect(history.items[0]?.checksum).toBe(sha(Buffer.alloc(1 << 20, 3)));
        expect(history.items[0]?.meta).toMatchObject({ run: 'run-k', epoch: 4, entry });
        expect(history.items[0]?.dependencies).toHaveLength(2);
    });

    it('a process killed while it records an epoch (its snapshot adopted as the object): the next start records it once, with its bytes', async () => {
        await tracker.close();
        const model = path.join(dir, 'out', 'adopted.pt');
        const bytes = Buffer.alloc(24 << 20, 5);
        await writeFile(model, bytes);
        const objects = path.join(dir, '.hyperprov', 'objects', 'sha256');
        const child = spawn(process.execPath, ['--input-type=module', '-e', `
            const { openTracker } = await import(${JSON.stringify(trackerEntry())});
            const tracker = await openTracker({ dir: ${JSON.stringify(dir)}, run: 'run-c' });
            await (await tracker.epoch({ model: ${JSON.stringify(model)}, epoch: 1 })).committed;
            await new Promise(() => {});
        `], { stdio: 'ignore' });
        const exited = new Promise((resolve) => child.on('exit', resolve));
        // Killed as soon as the checkpoint is an object: before, during or just after its ledger commit.
        await waitFor(async () => (await readdir(objects).catch(() => [])).length > 0, 30_000);
        child.kill('SIGKILL');
        await exited;
        tracker = await openTracker({ dir, drainOutbox: true });
        expect((await tracker.flush({ timeoutMs: 30_000 })).done).toBe(true);
        const history = await tracker.history('models/out/adopted.pt');
        expect(history.items).toHaveLength(1);
        expect(history.items[0]?.checksum).toBe(sha(bytes));
        const report = await tracker.verify({ all: true });
        expect(report.ok, JSON.stringify(report)).toBe(true);
    });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

/** The built package entry, as another process imports it. */
function trackerEntry(): string {
    return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/index.js');
}

function runChild(script: string): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 }, (error, stdout, stderr) => {
            // SIGKILL is the expected end.
            if (error && error.signal !== 'SIGKILL') reject(new Error(`child failed: ${stderr || error.message}`));
            else resolve(stdout.trim());
        });
    });
}
