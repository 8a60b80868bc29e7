/**
 * The watcher against real files written by real writers (tmp + rename, in place, chunked with
 * pauses, checkpoint folders) and real chokidar events, with an in-memory sink that reads the
 * bytes when it takes an entry. Each test checks exactly-once and that the recorded bytes are the
 * final ones; waits poll for conditions, and "not recorded too early" is checked at the moment
 * the writer pauses, with margins of several settle times.
 */
import { mkdir, mkdtemp, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWatcher, type Watcher, type WatchEvent, type WatcherOptions } from './watcher.js';
import { buildSafetensors, fakeSink, noise, sha256, sleep, torchLikeZip, waitFor, writeInPlace, writeTmpRename } from './testing/fixtures.js';

const SETTLE = 300;

let root: string;
let models: string;
let watchers: Watcher[] = [];

beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hyperprov-watch-'));
    models = path.join(root, 'out');
    await mkdir(models);
    watchers = [];
});

afterEach(async () => {
    for (const watcher of watchers) await watcher.close({ timeoutMs: 5000 });
    await rm(root, { recursive: true, force: true });
});

function start(sink: ReturnType<typeof fakeSink>, options: Partial<WatcherOptions> = {}): { watcher: Watcher; events: WatchEvent[] } {
    const events: WatchEvent[] = [];
    const watcher = createWatcher({ models, root, settleMs: SETTLE, sink, onEvent: (event) => events.push(event), ...options });
    watchers.push(watcher);
    return { watcher, events };
}

const recordsOf = (sink: ReturnType<typeof fakeSink>, name: string) => sink.records.filter((r) => path.basename(r.model) === name);

describe('files', () => {
    it('tmp + rename writer: the final name is recorded once with its final bytes; the tmp name never', async () => {
        const sink = fakeSink();
        const { watcher, events } = start(sink);
        await watcher.ready;
        const data = torchLikeZip(200_000, 3);
        await writeTmpRename(path.join(models, 'ckpt-epoch3.pt'), data, 8, 50);
        await waitFor(() => sink.records.length === 1, 'one record');
        const [record] = sink.records;
        expect(record).toMatchObject({ key: 'models/ckpt', epoch: 3, checksum: sha256(data) });
        expect(sink.calls.map((c) => path.basename(c.model))).toEqual(['ckpt-epoch3.pt']);
        expect(sink.calls[0]?.idempotencyKey).toMatch(/^watch:out\/ckpt-epoch3\.pt:\d+:[\d.]+$/);
        await sleep(SETTLE * 3);
        expect(sink.calls).toHaveLength(1);
        expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['ready', 'queued', 'recorded']));
    });

    it('in-place chunked writer pausing shorter than the settle time (no format marker): recorded once, complete', async () => {
        const sink = fakeSink();
        const { watcher } = start(sink);
        await watcher.ready;
        const data = noise(300_000, 5);
        const writing = writeInPlace(path.join(models, 'net-epoch1.onnx'), data, 12, SETTLE / 3);
        // Half-way through, nothing may have been sent: every pause was shorter than the settle time.
        await sleep(SETTLE * 2);
        expect(sink.calls).toHaveLength(0);
        await writing;
        await waitFor(() => sink.records.length === 1, 'one record');
        expect(sink.records[0]?.checksum).toBe(sha256(data));
        await sleep(SETTLE * 3);
        expect(sink.calls).toHaveLength(1);
    });

    it('a torch-like zip whose writer pauses longer than the settle time is held back until its end record', async () => {
        const sink = fakeSink();
        const { watcher } = start(sink);
        await watcher.ready;
        const data = torchLikeZip(400_000, 7);
        const file = path.join(models, 'resnet-epoch2.pt');
        // Two chunks with a pause of 4 settle times between them: settle time alone would send the first half.
        const writing = writeInPlace(file, data, 2, SETTLE * 4);
        await sleep(SETTLE * 3);
        expect(sink.calls, 'sent while the zip had no end record').toHaveLength(0);
        await writing;
        await waitFor(() => sink.records.length === 1, 'one record');
        expect(sink.records[0]).toMatchObject({ epoch: 2, checksum: sha256(data), key: 'models/resnet' });
    });

    it('scans at start: files written while it was down are recorded; a restart sends the same idempotency keys (the outbox dedupes)', async () => {
        const sink = fakeSink();
        const old = [1, 2, 3].map((epoch) => ({ name: `m-epoch${epoch}.pt`, data: torchLikeZip(10_000, epoch) }));
        for (const { name, data } of old) await writeFile(path.join(models, name), data);
        // Old mtimes, as after a watcher outage: recorded without waiting for a settle.
        const past = new Date(Date.now() - 60_000);
        for (const { name } of old) await utimes(path.join(models, name), past, past);
        const first = start(sink);
        await first.watcher.ready;
        await waitFor(() => sink.records.length === 3, 'three records');
        // Handed over in epoch order, whatever order the scan found them in.
        expect(sink.calls.map((c) => c.epoch)).toEqual([1, 2, 3]);
        expect(sink.records.map((r) => r.epoch)).toEqual([1, 2, 3]);
        // Sent in epoch order: each depends on the one before.
        expect(sink.records[2]?.previous).toBe(sink.records[1]?.id);
        const keys = sink.calls.map((c) => c.idempotencyKey);
        await first.watcher.close();
        const second = start(sink);
        await second.watcher.ready;
        await waitFor(() => second.events.filter((e) => e.event === 'recorded').length === 3, 'three duplicates');
        expect(sink.calls.slice(3).map((c) => c.idempotencyKey)).toEqual(keys);
        expect(second.events.filter((e) => e.event === 'recorded').every((e) => e.event === 'recorded' && e.duplicate)).toBe(true);
        expect(sink.records).toHaveLength(3);
    });

    it('two epochs saved moments apart, the later one first: the lower epoch is still handed over first', async () => {
        const sink = fakeSink();
        const { watcher } = start(sink);
        await watcher.ready;
        await writeFile(path.join(models, 'pair-epoch2.pt'), torchLikeZip(20_000, 22));
        await sleep(40);
        await writeFile(path.join(models, 'pair-epoch1.pt'), torchLikeZip(20_000, 21));
        await waitFor(() => sink.records.length === 2, 'two records');
        expect(sink.calls.map((c) => c.epoch)).toEqual([1, 2]);
        expect(sink.records[1]?.previous).toBe(sink.records[0]?.id);
    });

    it('a file still being written when the watcher starts is recorded once, when complete', async () => {
        const sink = fakeSink();
        const data = torchLikeZip(300_000, 9);
        const writing = writeInPlace(path.join(models, 'late-epoch1.pth'), data, 10, SETTLE / 3);
        await sleep(SETTLE / 2);
        const { watcher } = start(sink);
        await watcher.ready;
        await writing;
        await waitFor(() => sink.records.length === 1, 'one record');
        expect(sink.records[0]?.checksum).toBe(sha256(data));
        await sleep(SETTLE * 3);
        expect(sink.calls).toHaveLength(1);
    });

    it('a file without format markers being written at start waits for its mtime to settle (the scan checks at once)', async () => {
        const sink = fakeSink();
        const data = noise(200_000, 13);
        const writing = writeInPlace(path.join(models, 'early-epoch1.onnx'), data, 10, SETTLE / 3);
        await sleep(SETTLE / 2);
        const { watcher } = start(sink);
        await watcher.ready;
        // Checked at ready: its mtime is fresh, so it is not taken as finished.
        expect(sink.calls).toHaveLength(0);
        await writing;
        await waitFor(() => sink.records.length === 1, 'one record');
        expect(sink.records[0]?.checksum).toBe(sha256(data));
        await sleep(SETTLE * 3);
        expect(sink.calls).toHaveLength(1);
    });

    it('a trainer keeping only the last 2 checkpoints loses none', async () => {
        const sink = fakeSink();
        const { watcher } = start(sink);
        await watcher.ready;
        const written: string[] = [];
        for (let epoch = 1; epoch <= 6; epoch++) {
            const data = torchLikeZip(50_000, 100 + epoch);
            written.push(sha256(data));
            await writeTmpRename(path.join(models, `rot-epoch${epoch}.pt`), data, 2, 20);
            // The trainer's own rotation, right after it saved the new one.
            if (epoch > 2) await unlink(path.join(models, `rot-epoch${epoch - 2}.pt`));
            // One epoch of "training": long enough for a settle and a send, short enough that a
            // late watcher would lose the file to the rotation.
            await sleep(SETTLE * 2.5);
        }
        await waitFor(() => sink.records.length === 6, 'six records');
        expect(sink.records.map((r) => r.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(sink.records.map((r) => r.checksum)).toEqual(written);
    });

    it('bytes changed after the hand-over (FILE_CHANGED) are sent again once they settle', async () => {
        // The sink reads the bytes 2 settle times after intake; the trainer rewrites the file before that.
        const sink = fakeSink({ snapshotDelayMs: SETTLE * 2 });
        const { watcher, events } = start(sink);
        await watcher.ready;
        const file = path.join(models, 'same.safetensors');
        await writeFile(file, buildSafetensors(1000, 1));
        await waitFor(() => sink.calls.length === 1, 'first hand-over');
        const second = buildSafetensors(1000, 2);
        await writeInPlace(file, second, 1, 0);
        await waitFor(() => sink.records.length === 1, 'the second version recorded');
        expect(sink.failures.map((f) => f.code)).toEqual(['FILE_CHANGED']);
        expect(sink.records[0]?.checksum).toBe(sha256(second));
        expect(events.some((e) => e.event === 'failed' && e.code === 'FILE_CHANGED' && e.retrying)).toBe(true);
    });

    it('identical bytes under the same key are recorded once when the sink can look up checksums', async () => {
        const sink = fakeSink({ byChecksum: true });
        const { watcher, events } = start(sink);
        await watcher.ready;
        const file = path.join(models, 'best.keras');
        const data = torchLikeZip(20_000, 11);
        await writeFile(file, data);
        await waitFor(() => sink.records.length === 1, 'one record');
        // Same bytes, new mtime (a trainer saving an unchanged "best" model again).
        const later = new Date(Date.now() + 2000);
        await utimes(file, later, later);
        await waitFor(() => events.some((e) => e.event === 'skipped'), 'skipped event');
        expect(sink.calls).toHaveLength(1);
        await writeFile(file, torchLikeZip(20_000, 12));
        await waitFor(() => sink.records.length === 2, 'changed bytes recorded');
        // A new epoch whose bytes equal an earlier one (frozen weights) is still that epoch's checkpoint.
        await writeFile(path.join(models, 'best-epoch9.keras'), data);
        await waitFor(() => sink.records.length === 3, 'the new epoch recorded');
        expect(sink.records[2]).toMatchObject({ epoch: 9, checksum: sha256(data) });
    });

    it('takes only the names --pattern matches; without one, only checkpoint extensions', async () => {
        const sink = fakeSink();
        const { watcher } = start(sink, { pattern: 'keep-*.pt' });
        await watcher.ready;
        await writeFile(path.join(models, 'skip-epoch1.pt'), torchLikeZip(100));
        await writeFile(path.join(models, 'metrics.json'), '{}');
        await writeFile(path.join(models, 'keep-epoch1.pt'), torchLikeZip(100));
        await waitFor(() => sink.records.length === 1, 'one record');
        await sleep(SETTLE * 3);
        expect(sink.calls.map((c) => path.basename(c.model))).toEqual(['keep-epoch1.pt']);
    });
});

describe('checkpoint directories', () => {
    it('Hugging Face checkpoint-N/: one item, sent only after trainer_state.json (written last)', async () => {
        const sink = fakeSink();
        const { watcher } = start(sink);
        await watcher.ready;
        const ckpt = path.join(models, 'checkpoint-500');
        await mkdir(ckpt);
        await writeInPlace(path.join(ckpt, 'model.safetensors'), buildSafetensors(50_000), 4, 30);
        await writeFile(path.join(ckpt, 'config.json'), '{"model_type":"bert"}');
        await writeInPlace(path.join(ckpt, 'optimizer.pt'), torchLikeZip(100_000), 3, 30);
        // The Trainer evaluates, saves the RNG state…: a pause of several settle times before the state file.
        await sleep(SETTLE * 4);
        expect(sink.calls, 'sent before trainer_state.json').toHaveLength(0);
        await writeFile(path.join(ckpt, 'trainer_state.json'), JSON.stringify({ global_step: 500, epoch: 1 }));
        await waitFor(() => sink.records.length === 1, 'one record');
        const [record] = sink.records;
        expect(record).toMatchObject({ model: ckpt, key: 'models/out', epoch: 500 });
        expect(Object.keys(record!.files).sort()).toEqual(['config.json', 'model.safetensors', 'optimizer.pt', 'trainer_state.json']);
        await sleep(SETTLE * 3);
        expect(sink.calls).toHaveLength(1);
    });

    it('sharded safetensors with their index: sent once every shard is present and complete', async () => {
        const sink = fakeSink();
        const { watcher } = start(sink);
        await watcher.ready;
        const set = path.join(models, 'epoch-3');
        await mkdir(set);
        const shards = [1, 2, 3].map((i) => `model-0000${i}-of-00003.safetensors`);
        // transformers writes the index after the shards; written first here to show the shards are what is waited for.
        await writeFile(path.join(set, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: { a: shards[0], b: shards[1], c: shards[2] } }));
        await writeFile(path.join(set, shards[0]!), buildSafetensors(20_000, 1));
        await sleep(SETTLE * 3);
        expect(sink.calls, 'sent with shards missing').toHaveLength(0);
        await writeFile(path.join(set, shards[1]!), buildSafetensors(20_000, 2));
        // The last shard written in two halves with a pause: its header says the data is short.
        const last = buildSafetensors(20_000, 3);
        await writeInPlace(path.join(set, shards[2]!), last, 2, SETTLE * 3);
        await waitFor(() => sink.records.length === 1, 'one record');
        expect(sink.calls).toHaveLength(1);
        expect(sink.records[0]).toMatchObject({ model: set, epoch: 3 });
        expect(sink.records[0]?.files[shards[2]!]).toBe(sha256(last));
    });

    it('a folder that is no checkpoint (logs) is not recorded', async () => {
        const sink = fakeSink();
        const { watcher } = start(sink);
        await watcher.ready;
        await mkdir(path.join(models, 'logs'));
        await writeFile(path.join(models, 'logs', 'events.out'), 'x');
        await writeFile(path.join(models, 'real-epoch1.pt'), torchLikeZip(100));
        await waitFor(() => sink.records.length === 1, 'one record');
        await sleep(SETTLE * 3);
        expect(sink.calls.map((c) => path.basename(c.model))).toEqual(['real-epoch1.pt']);
        expect(watcher.status().watching).toBe(1);
    });
});

describe('datasets', () => {
    it('each checkpoint names the dataset folders; a change is re-manifested after the debounce', async () => {
        const train = path.join(root, 'data', 'train');
        await mkdir(train, { recursive: true });
        await writeFile(path.join(train, 'a.jpg'), 'a');
        const sink = fakeSink();
        const { watcher, events } = start(sink, { datasets: { train }, datasetDebounceMs: 400 });
        await watcher.ready;
        await waitFor(() => events.some((e) => e.event === 'dataset'), 'initial manifest');
        expect(sink.datasetCalls).toEqual([{ dir: train, key: 'datasets/data/train' }]);
        await writeFile(path.join(models, 'd-epoch1.pt'), torchLikeZip(100, 1));
        await waitFor(() => sink.records.length === 1, 'first record');
        const firstManifest = sink.records[0]?.datasets.train;
        expect(sink.calls[0]?.datasets).toEqual({ train });
        // The dataset grows: one re-manifest for a burst of writes.
        for (const name of ['b.jpg', 'c.jpg', 'd.jpg']) {
            await writeFile(path.join(train, name), name);
            await sleep(50);
        }
        await waitFor(() => events.filter((e) => e.event === 'dataset').length === 2, 'one re-manifest');
        const redo = events.filter((e) => e.event === 'dataset')[1];
        expect(redo).toMatchObject({ status: 'changed', key: 'datasets/data/train' });
        await writeFile(path.join(models, 'd-epoch2.pt'), torchLikeZip(100, 2));
        await waitFor(() => sink.records.length === 2, 'second record');
        expect(sink.records[1]?.datasets.train).not.toBe(firstManifest);
        expect(sink.records[1]?.datasets.train).toBe(redo?.event === 'dataset' ? redo.id : undefined);
        await sleep(800);
        expect(sink.datasetCalls).toHaveLength(2);
    });
});

describe('close', () => {
    it('drains: what was handed over commits before close returns', async () => {
        const sink = fakeSink({ snapshotDelayMs: 500 });
        const { watcher } = start(sink);
        await watcher.ready;
        await writeFile(path.join(models, 'c-epoch1.pt'), torchLikeZip(100));
        await waitFor(() => sink.calls.length === 1, 'hand-over');
        const summary = await watcher.close({ timeoutMs: 10_000 });
        expect(summary).toMatchObject({ done: true, recorded: 1, pending: 0, unsent: [] });
    });

    it('says it is not done when the sink does not commit in time', async () => {
        const sink = fakeSink({ snapshotDelayMs: 5000 });
        const { watcher } = start(sink);
        await watcher.ready;
        await writeFile(path.join(models, 'c-epoch1.pt'), torchLikeZip(100));
        await waitFor(() => sink.calls.length === 1, 'hand-over');
        const began = Date.now();
        const summary = await watcher.close({ timeoutMs: 300 });
        expect(Date.now() - began).toBeLessThan(3000);
        expect(summary).toMatchObject({ done: false, recorded: 0, pending: 1 });
    });
});
