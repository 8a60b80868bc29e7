/** diff on a real project: two epochs of a run whose training data changed in between. */
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initTracker, openTracker, type Tracker } from '../index.js';

let dir: string;
let tracker: Tracker;

beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hp-diff-'));
    await initTracker({ dir, durability: 'none' });
    await mkdir(path.join(dir, 'train'));
    await mkdir(path.join(dir, 'test'));
    for (const name of ['a.jpg', 'b.jpg', 'c.jpg']) await writeFile(path.join(dir, 'train', name), name);
    await writeFile(path.join(dir, 'test', 't.jpg'), 't');
    tracker = await openTracker({ dir, run: 'run-d' });
});
afterEach(async () => {
    await tracker.close();
    await rm(dir, { recursive: true, force: true });
});

describe('tracker.diff', { timeout: 60_000 }, () => {
    it('names the changed metrics, params and dataset files of two epochs, and how their lineages differ', async () => {
        const datasets = { train: path.join(dir, 'train'), test: path.join(dir, 'test') };
        await writeFile(path.join(dir, 'm.pt'), 'epoch 0');
        const a = await (await tracker.epoch({ model: path.join(dir, 'm.pt'), epoch: 0, metrics: { loss: 0.9, acc: 0.5 }, params: { lr: 0.1, bs: 32 }, datasets })).committed;
        await writeFile(path.join(dir, 'train', 'b.jpg'), 'b, relabelled');
        await unlink(path.join(dir, 'train', 'c.jpg'));
        await writeFile(path.join(dir, 'train', 'd.jpg'), 'd');
        await writeFile(path.join(dir, 'm.pt'), 'epoch 1');
        const b = await (await tracker.epoch({ model: path.join(dir, 'm.pt'), epoch: 1, metrics: { loss: 0.7, acc: 0.5, f1: 0.4 }, params: { lr: 0.05, bs: 32 }, datasets })).committed;
        const diff = await tracker.diff(a.record.id, b.record.id);
        expect(diff.sameBytes).toBe(false);
        expect(diff.metrics).toEqual({ added: { f1: 0.4 }, removed: {}, changed: { loss: { a: 0.9, b: 0.7 } } });
        expect(diff.params.changed).toEqual({ lr: { a: 0.1, b: 0.05 } });
        const train = diff.datasets.find((d) => d.name === 'train');
        expect(train).toMatchObject({ status: 'changed', files: { added: ['d.jpg'], removed: ['c.jpg'], modified: ['b.jpg'], counts: { added: 1, removed: 1, modified: 1, unchanged: 1 } } });
        expect(diff.datasets.find((d) => d.name === 'test')?.status).toBe('same');
        // b depends on a (its previous checkpoint), so a's whole lineage is inside b's; only the
        // new train manifest is b's alone.
        expect(diff.lineage.onlyA).toEqual([]);
        expect(diff.lineage.onlyB).toEqual([b.datasets.train]);
        expect(diff.lineage.shared).toBe(2);
        // The reverse direction mirrors it.
        expect((await tracker.diff(b.record.id, a.record.id)).datasets.find((d) => d.name === 'train')?.files?.added).toEqual(['c.jpg']);
    });
});
