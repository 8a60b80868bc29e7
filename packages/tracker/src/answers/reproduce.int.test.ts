/** reproduce on a real project: embedded ledger, local store, files restored and checked, all or nothing. */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTrackerError } from '@hyperprov/errors';
import { initTracker, openTracker, type Tracker } from '../index.js';

let dir: string;
let tracker: Tracker;
const hex = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');

beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hp-reproduce-'));
    await initTracker({ dir, durability: 'none' });
    await mkdir(path.join(dir, 'data', 'train', 'cats'), { recursive: true });
    await mkdir(path.join(dir, 'data', 'test'), { recursive: true });
    for (let i = 0; i < 4; i++) await writeFile(path.join(dir, 'data', 'train', 'cats', `${i}.jpg`), `cat ${i}`);
    await writeFile(path.join(dir, 'data', 'test', 'a.jpg'), 'test image');
    tracker = await openTracker({ dir, run: 'run-r' });
});
afterEach(async () => {
    await tracker.close();
    await rm(dir, { recursive: true, force: true });
});

async function trainedRun(): Promise<string[]> {
    const train = await tracker.recordDataset(path.join(dir, 'data', 'train'), { key: 'datasets/train', upload: true });
    const ids: string[] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
        await writeFile(path.join(dir, 'model.pt'), `weights of epoch ${epoch}`);
        const handle = await tracker.epoch({
            model: path.join(dir, 'model.pt'),
            epoch,
            metrics: { loss: 1 - epoch / 4 },
            params: { lr: 0.1 },
            datasets: { train: train.record.id, test: path.join(dir, 'data', 'test') },
        });
        ids.push((await handle.committed).record.id);
    }
    return ids;
}

describe('tracker.reproduce', { timeout: 60_000 }, () => {
    it('writes the model, manifests and uploaded dataset files of a run epoch, all checked, with a report', async () => {
        const [first] = await trainedRun();
        const out = path.join(dir, 'repro');
        const report = await tracker.reproduce({ run: 'run-r', epoch: 0 }, out);
        expect(report.model.id).toBe(first);
        expect(await readFile(path.join(out, report.model.path), 'utf8')).toBe('weights of epoch 0');
        expect(report).toMatchObject({ run: 'run-r', epoch: 0, params: { lr: 0.1 }, metrics: { loss: 1 } });
        const train = report.datasets.find((d) => d.name === 'train');
        const test = report.datasets.find((d) => d.name === 'test');
        expect(train?.dir).toBe('datasets/train');
        expect((await readdir(path.join(out, 'datasets', 'train', 'cats'))).sort()).toEqual(['0.jpg', '1.jpg', '2.jpg', '3.jpg']);
        expect(test?.dir).toBeUndefined();
        expect(test?.check).toContain(`hyperprov verify ${test?.id} --against`);
        expect(JSON.parse(await readFile(path.join(out, test?.manifest as string), 'utf8')).count).toBe(1);
        expect(JSON.parse(await readFile(path.join(out, 'reproduce.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
        expect(await readFile(path.join(out, 'SUMMARY.md'), 'utf8')).toContain('files not stored');
        expect(report.verified.files).toBe(1 + 2 + 4);
        // The last epoch by default, and by record id.
        expect((await tracker.reproduce({ run: 'run-r' }, path.join(dir, 'last'))).epoch).toBe(1);
        expect((await tracker.reproduce({ id: first as string }, path.join(dir, 'by-id'))).model.id).toBe(first);
        // Into a directory whose parents do not exist yet.
        expect((await tracker.reproduce({ id: first as string }, path.join(dir, 'a', 'b', 'c'))).verified.files).toBe(report.verified.files);
    });

    it('a flipped byte in a stored dataset file fails and leaves nothing; a non-empty target is refused', async () => {
        await trainedRun();
        const object = path.join(dir, '.hyperprov', 'objects', 'sha256', hex('cat 2').slice(0, 2), hex('cat 2').slice(2));
        await chmod(object, 0o600);
        await writeFile(object, 'cat 3');
        const out = path.join(dir, 'repro');
        await expect(tracker.reproduce({ run: 'run-r' }, out)).rejects.toSatisfy((e) => isTrackerError(e, 'CHECKSUM_MISMATCH'));
        expect((await readdir(dir)).filter((name) => name.includes('repro'))).toEqual([]);
        // Parents it had to make are gone again too.
        await expect(tracker.reproduce({ run: 'run-r' }, path.join(dir, 'new', 'deep', 'repro'))).rejects.toSatisfy((e) => isTrackerError(e, 'CHECKSUM_MISMATCH'));
        expect(await readdir(dir)).not.toContain('new');
        await mkdir(out);
        await writeFile(path.join(out, 'keep.txt'), 'mine');
        await expect(tracker.reproduce({ run: 'run-r' }, out)).rejects.toSatisfy((e) => isTrackerError(e, 'ALREADY_EXISTS'));
        expect(await readdir(out)).toEqual(['keep.txt']);
        await expect(tracker.reproduce({ run: 'run-r', epoch: 9 }, path.join(dir, 'x'))).rejects.toSatisfy((e) => isTrackerError(e, 'NOT_FOUND'));
    });
});
