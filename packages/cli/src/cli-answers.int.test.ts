/** `hyperprov reproduce` and `diff` through the built binary, on a run recorded with `hyperprov epoch`. */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '@hyperprov/errors';
import { ensureCliBuilt } from './testing/cli-process.js';
import { projectCli } from './testing/project-cli.js';

let project: string;
const { hp, ok } = projectCli(() => project);
const ids: string[] = [];

beforeAll(async () => {
    ensureCliBuilt();
    project = await mkdtemp(path.join(tmpdir(), 'hp-cli-answers-'));
    await ok('init');
    await mkdir(path.join(project, 'train'));
    for (const name of ['a.jpg', 'b.jpg']) await writeFile(path.join(project, 'train', name), `image ${name}`);
    const train = await ok('dataset', 'train', '--key', 'datasets/train', '--upload');
    for (let epoch = 0; epoch < 2; epoch++) {
        await writeFile(path.join(project, 'model.pt'), `weights ${epoch}`);
        const result = await ok('epoch', 'model.pt', '--epoch', String(epoch), '--metrics', `{"loss":${0.9 - epoch * 0.2}}`, '--dataset', `train=${train.record.id}`, '--run', 'answers');
        ids.push(result.record.id);
    }
}, 180_000);

afterAll(async () => {
    await rm(project, { recursive: true, force: true });
});

describe('hyperprov reproduce / diff', { timeout: 60_000 }, () => {
    it('diff --json names the changed metrics of two epochs', async () => {
        const diff = await ok('diff', ids[0] as string, ids[1] as string);
        expect(diff.metrics.changed.loss).toEqual({ a: 0.9, b: 0.7 });
        expect(diff.datasets).toEqual([expect.objectContaining({ name: 'train', status: 'same' })]);
        expect((await hp('diff', ids[0] as string, ids[1] as string)).stdout).toContain('loss: 0.9 -> 0.7');
    });

    it('reproduce --run writes the run’s model and data, checked; a flipped stored byte fails and leaves nothing', async () => {
        const report = await ok('reproduce', '--run', 'answers', '--epoch', '0', 'repro');
        expect(report.model.id).toBe(ids[0]);
        expect(await readFile(path.join(project, 'repro', report.model.path), 'utf8')).toBe('weights 0');
        expect(await readFile(path.join(project, 'repro', 'datasets', 'train', 'b.jpg'), 'utf8')).toBe('image b.jpg');
        const hex = createHash('sha256').update('image b.jpg').digest('hex');
        const object = path.join(project, '.hyperprov', 'objects', 'sha256', hex.slice(0, 2), hex.slice(2));
        await chmod(object, 0o600);
        await writeFile(object, 'image X.jpg');
        const broken = await hp('reproduce', ids[1] as string, 'repro2', '--json');
        expect(broken.code).toBe(EXIT_CODES.CHECKSUM_MISMATCH);
        expect((await readdir(project)).filter((name) => name.startsWith('repro2') || name.startsWith('.repro2'))).toEqual([]);
        const usage = await hp('reproduce', ids[1] as string, '--json');
        expect(usage.code).toBe(EXIT_CODES.INVALID_ARGUMENT);
    });
});
