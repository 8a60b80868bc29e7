/** `hyperprov epoch`, `runs` and `run` through the built binary, on a real project. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '@hyperprov/errors';
import { ensureCliBuilt } from './testing/cli-process.js';
import { projectCli } from './testing/project-cli.js';

let project: string;
const { hp, ok } = projectCli(() => project);
const sha = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

beforeAll(async () => {
    ensureCliBuilt();
    project = await mkdtemp(path.join(tmpdir(), 'hp-cli-epoch-'));
    await ok('init');
    await mkdir(path.join(project, 'data', 'train'), { recursive: true });
    await writeFile(path.join(project, 'data', 'train', 'a.csv'), 'x,y\n1,2\n');
    await mkdir(path.join(project, 'out'));
}, 180_000);

afterAll(async () => {
    await rm(project, { recursive: true, force: true });
});

describe('hyperprov epoch / runs / run', { timeout: 60_000 }, () => {
    it('records epochs of a run with metrics, the dataset manifest and the previous checkpoint; runs and run list them', async () => {
        const ids: string[] = [];
        for (let epoch = 0; epoch < 3; epoch++) {
            await writeFile(path.join(project, 'out', 'model.pt'), `weights ${epoch}`);
            const result = await ok('epoch', 'out/model.pt', '--epoch', String(epoch), '--metrics', `{"loss":${1 - epoch / 10}}`, '--params', '{"lr":0.1}', '--dataset', 'train=data/train', '--run', 'cli-run');
            expect(result).toMatchObject({ state: 'committed', run: 'cli-run', key: 'models/out/model.pt', duplicate: false });
            expect(result.record.checksum).toBe(sha(`weights ${epoch}`));
            expect(result.record.dependencies).toContain(result.datasets.train);
            if (epoch > 0) expect(result.record.dependencies).toContain(ids[epoch - 1]);
            ids.push(result.record.id);
        }
        const runs = await ok('runs');
        expect(runs.items).toEqual([expect.objectContaining({ run: 'cli-run', epochs: 3, lastEpoch: 2, lastMetrics: { loss: 0.8 }, lastRecordId: ids[2] })]);
        const run = await ok('run', 'cli-run');
        expect(run.records.items.map((record: { id: string }) => record.id)).toEqual(ids);
        const text = await hp('run', 'cli-run');
        expect(text.stdout).toContain('epoch    2');
        const missing = await hp('run', 'no-such-run', '--json');
        expect(missing.code).toBe(EXIT_CODES.NOT_FOUND);
        expect(missing.json<{ error: { message: string } }>().error.message).toContain('hyperprov runs');
    });

    it('--wait queued returns at once and the next epoch call records both, in order', async () => {
        await writeFile(path.join(project, 'out', 'q.pt'), 'queued weights');
        const queued = await ok('epoch', 'out/q.pt', '--run', 'q-run', '--epoch', '0', '--wait', 'queued');
        expect(queued.state).toBe('queued');
        await writeFile(path.join(project, 'out', 'q.pt'), 'next weights');
        const next = await ok('epoch', 'out/q.pt', '--run', 'q-run', '--epoch', '1');
        expect(next.record.dependencies).toHaveLength(1);
        const first = await ok('show', next.record.dependencies[0]);
        expect(first.checksum).toBe(sha('queued weights'));
    });

    it('refuses bad input with a hint and records nothing', async () => {
        for (const args of [['--dataset', 'train'], ['--epoch', '-3'], ['--metrics', '[1]']]) {
            const run = await hp('epoch', 'out/model.pt', ...args, '--json');
            expect(run.code, args.join(' ')).toBe(EXIT_CODES.INVALID_ARGUMENT);
        }
        const gone = await hp('epoch', 'out/nothing.pt', '--json');
        expect(gone.code).toBe(EXIT_CODES.INVALID_ARGUMENT);
        expect(gone.json<{ error: { message: string } }>().error.message).toContain('does not exist');
    });
});
