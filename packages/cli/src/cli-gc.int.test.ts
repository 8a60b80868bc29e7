/**
 * Objects no record references — what a record that crashed or failed after its upload leaves —
 * are reported by `verify` and listed and removed by `gc`, through the built binary. Everything a
 * record points at stays: a file's object, a dataset's manifest, its object index, and every file
 * the index names. Objects newer than --min-age are kept (a record may still be committing them).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { createLocalStore } from '@hyperprov/storage';
import { EXIT_CODES } from '@hyperprov/errors';
import { ensureCliBuilt } from './testing/cli-process.js';
import { projectCli } from './testing/project-cli.js';

let project: string;
let objects: string;
let model: ProvenanceRecord;
let dataset: ProvenanceRecord;
let oldOrphan: string;
let newOrphan: string;
const { hp, ok } = projectCli(() => project);

/** Stores bytes without recording them, as a record that died between upload and commit does. */
async function storeUnrecorded(text: string): Promise<string> {
    const store = createLocalStore({ root: objects });
    try {
        const checksum = `sha256:${createHash('sha256').update(text).digest('hex')}`;
        return (await store.put(Readable.from([Buffer.from(text)]), { checksum })).pointer;
    } finally {
        await store.close();
    }
}

beforeAll(async () => {
    ensureCliBuilt();
    project = await mkdtemp(path.join(tmpdir(), 'hp-cli-gc-'));
    objects = path.join(project, '.hyperprov', 'objects');
    await ok('init');
    await writeFile(path.join(project, 'model.pt'), 'model bytes');
    model = await ok('record', 'model.pt', '--key', 'models/m');
    await mkdir(path.join(project, 'train'));
    for (let i = 0; i < 3; i++) await writeFile(path.join(project, 'train', `${i}.jpg`), `picture ${i}`);
    dataset = (await ok('dataset', 'train', '--key', 'datasets/train', '--upload')).record;
    oldOrphan = await storeUnrecorded('left by a crashed record, long ago');
    const past = new Date(Date.now() - 2 * 3600_000);
    await utimes(path.join(objects, oldOrphan), past, past);
    newOrphan = await storeUnrecorded('left by a record that failed a minute ago');
}, 180_000);

afterAll(async () => {
    await rm(project, { recursive: true, force: true });
});

describe('orphaned objects', { timeout: 60_000 }, () => {
    it('verify reports them without failing, and names gc', async () => {
        const report = await ok('verify', '--all');
        expect(report.ok).toBe(true);
        expect(report.orphans).toMatchObject({ store: 'file:.hyperprov/objects', count: 2 });
        const human = await hp('verify', '--all');
        expect(human.code).toBe(0);
        expect(human.stdout).toMatch(/2 stored objects no record references .*`hyperprov gc`/);
    });

    it('gc lists them (dry run by default) and deletes nothing', async () => {
        const report = await ok('gc');
        expect(report.orphans.map((o: { pointer: string }) => o.pointer).sort()).toEqual([oldOrphan, newOrphan].sort());
        expect(report.deleted).toBe(0);
        expect(existsSync(path.join(objects, oldOrphan))).toBe(true);
        expect(existsSync(path.join(objects, newOrphan))).toBe(true);
        const human = await hp('gc');
        expect(human.stdout).toMatch(/dry run: nothing deleted; `hyperprov gc --delete` removes/);
    });

    it('gc --delete removes old orphans only, and keeps every referenced object', async () => {
        const report = await ok('gc', '--delete');
        expect(report.deleted).toBe(1);
        expect(existsSync(path.join(objects, oldOrphan))).toBe(false);
        expect(existsSync(path.join(objects, newOrphan))).toBe(true);
        expect(report.orphans.find((o: { pointer: string }) => o.pointer === newOrphan)).toMatchObject({ recent: true });

        const now = await ok('gc', '--delete', '--min-age', '0');
        expect(now.deleted).toBe(1);
        expect(existsSync(path.join(objects, newOrphan))).toBe(false);
        expect((await ok('gc')).orphans).toEqual([]);
        // Everything recorded is still there: the model, the manifest, the index and the files.
        expect((await ok('verify', '--all')).orphans.count).toBe(0);
        await ok('fetch', 'models/m', 'back.pt');
        expect(existsSync(path.join(objects, model.pointer))).toBe(true);
        expect(existsSync(path.join(objects, dataset.pointer))).toBe(true);
        const files = dataset.meta.files as { index: string };
        const index = JSON.parse(await readFile(path.join(objects, files.index), 'utf8')) as { objects: { pointer: string }[] };
        expect(index.objects).toHaveLength(3);
        for (const object of index.objects) expect(existsSync(path.join(objects, object.pointer))).toBe(true);
    });

    it('gc refuses to delete anything while a dataset index cannot be read', async () => {
        const orphan = await storeUnrecorded('another orphan');
        const index = path.join(objects, (dataset.meta.files as { index: string }).index);
        await chmod(index, 0o600);
        await writeFile(index, '{"not": "the recorded index"}');
        const run = await hp('gc', '--delete', '--min-age', '0', '--json');
        expect(run.code).toBe(EXIT_CODES.CHECKSUM_MISMATCH);
        expect(run.json().error.message).toMatch(/gc cannot tell which objects dataset .* uses/);
        expect(existsSync(path.join(objects, orphan))).toBe(true);
    });

    it('gc is in the help', async () => {
        const help = await hp('--help');
        expect(help.stdout).toMatch(/hyperprov gc/);
    });
});
