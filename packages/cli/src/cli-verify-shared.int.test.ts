/**
 * `verify --all` when several records share one stored object (same bytes recorded under several
 * keys, or re-recorded): the object is hashed once, but every record is reported under its own
 * key and id, so the user knows which items the damage touches.
 */
import { chmod, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
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
    project = await mkdtemp(path.join(tmpdir(), 'hp-cli-verify-shared-'));
    await ok('init');
}, 180_000);

afterAll(async () => {
    await rm(project, { recursive: true, force: true });
});

describe('hyperprov verify --all with a shared corrupt object', { timeout: 60_000 }, () => {
    it('names every record whose bytes are damaged, each once', async () => {
        await writeFile(path.join(project, 'weights.bin'), 'the same bytes under two keys');
        const first = await ok('record', 'weights.bin', '--key', 'models/first');
        const second = await ok('record', 'weights.bin', '--key', 'models/second');
        expect(second.pointer).toBe(first.pointer);
        // The local store's location is project-relative (`file:.hyperprov/objects`).
        const object = path.join(project, '.hyperprov', 'objects', first.pointer);
        await chmod(object, 0o644);
        const handle = await open(object, 'r+');
        await handle.write(Buffer.from('X'), 0, 1, 0);
        await handle.close();

        const json = await hp('verify', '--all', '--json');
        expect(json.code).toBe(EXIT_CODES.CHECKSUM_MISMATCH);
        const problems: { id: string; key: string; message: string }[] = json.json().objects.problems;
        expect(problems.map((p) => [p.key, p.id]).sort()).toEqual([['models/first', first.id], ['models/second', second.id]].sort());
        for (const problem of problems) {
            expect(problem.message).toContain(`bytes of ${problem.key} (record ${problem.id})`);
        }

        const human = await hp('verify', '--all');
        expect(human.code).toBe(EXIT_CODES.CHECKSUM_MISMATCH);
        expect(human.stdout).toContain(`MISMATCH: bytes of models/first (record ${first.id})`);
        expect(human.stdout).toContain(`MISMATCH: bytes of models/second (record ${second.id})`);
    });
});
