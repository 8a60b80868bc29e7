/** `hyperprov dataset` and `verify --against` through the built binary, on a real project. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '@hyperprov/errors';
import { ensureCliBuilt } from './testing/cli-process.js';
import { projectCli } from './testing/project-cli.js';

let project: string;
const { hp, ok } = projectCli(() => project);

beforeAll(async () => {
    ensureCliBuilt();
    project = await mkdtemp(path.join(tmpdir(), 'hp-cli-dataset-'));
    await ok('init');
    await mkdir(path.join(project, 'train', 'cats'), { recursive: true });
    for (let i = 0; i < 5; i++) await writeFile(path.join(project, 'train', 'cats', `${i}.jpg`), `cat picture ${i}`);
    await writeFile(path.join(project, 'train', 'labels.csv'), 'file,label\n');
}, 180_000);

afterAll(async () => {
    await rm(project, { recursive: true, force: true });
});

describe('hyperprov dataset', { timeout: 60_000 }, () => {
    it('records a directory, records nothing when unchanged, and a new version when changed', async () => {
        const first = await ok('dataset', 'train', '--key', 'datasets/train', '--upload');
        expect(first).toMatchObject({ status: 'changed', count: 6, upload: { transferred: 6, skipped: 0 } });
        expect(first.record.meta).toMatchObject({ kind: 'hyperprov.dataset-manifest', count: 6 });
        const height = (await ok('status')).ledger.height;

        const again = await ok('dataset', 'train', '--key', 'datasets/train', '--upload');
        expect(again.status).toBe('unchanged');
        expect(again.record.id).toBe(first.record.id);
        expect((await ok('status')).ledger.height).toBe(height);

        await writeFile(path.join(project, 'train', 'cats', '2.jpg'), 'a different cat');
        const drift = await hp('verify', 'datasets/train', '--against', 'train', '--json');
        expect(drift.code).toBe(EXIT_CODES.CHECKSUM_MISMATCH);
        expect(drift.json()).toMatchObject({ ok: false, modified: [{ path: 'cats/2.jpg' }], added: [], removed: [] });

        const second = await ok('dataset', 'train', '--key', 'datasets/train', '--upload');
        expect(second).toMatchObject({ status: 'changed', changes: { modified: 1, unchanged: 5 }, upload: { transferred: 1, skipped: 5 } });
        expect((await ok('history', 'datasets/train')).items.map((r: { id: string }) => r.id)).toEqual([second.record.id, first.record.id]);
        expect((await ok('verify', 'datasets/train', '--against', 'train')).ok).toBe(true);
        expect((await ok('verify', '--all')).ok).toBe(true);
    });

    it('a model depending on the dataset shows it in its lineage', async () => {
        await writeFile(path.join(project, 'model.pt'), 'weights');
        const model = await ok('record', 'model.pt', '--key', 'models/m', '--dep', 'datasets/train', '--type', 'transformation');
        const lineage = await ok('lineage', model.id);
        const dataset = await ok('get', 'datasets/train');
        expect(lineage.records[dataset.id]).toEqual(dataset);
    });

    it('--against needs a dataset target', async () => {
        const run = await hp('verify', '--against', 'train', '--json');
        expect(run.code).toBe(EXIT_CODES.INVALID_ARGUMENT);
    });
});
