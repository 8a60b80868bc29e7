/** The tracker SDK against the real embedded ledger, local store and hash workers. */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTrackerError } from '@hyperprov/errors';
import { initTracker, openTracker, type Tracker } from './index.js';

let dir: string;
let tracker: Tracker;


beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hp-tracker-'));
    await initTracker({ dir });
    tracker = await openTracker({ dir });
});
afterEach(async () => {
    await tracker.close();
    await rm(dir, { recursive: true, force: true });
});

async function objects(): Promise<string[]> {
    const entries = await readdir(path.join(dir, '.hyperprov', 'objects', 'sha256'), { recursive: true }).catch(() => []);
    // Object files sit one level down (sha256/ab/cdef…); the ab/ folders themselves are not objects.
    return entries.map(String).filter((name) => name.includes(path.sep));
}

describe('initTracker / openTracker', { timeout: 30_000 }, () => {
    it('refuses to initialise twice and leaves the project as it was', async () => {
        const config = await readFile(path.join(dir, '.hyperprov', 'config.json'), 'utf8');
        await expect(initTracker({ dir })).rejects.toSatisfy((e) => isTrackerError(e, 'ALREADY_EXISTS'));
        expect(await readFile(path.join(dir, '.hyperprov', 'config.json'), 'utf8')).toBe(config);
    });

    it('a failed init leaves nothing behind', async () => {
        const other = path.join(dir, 'other');
        await mkdir(other);
        await expect(initTracker({ dir: other, store: 'ftp://nowhere/x' })).rejects.toSatisfy((e) => isTrackerError(e, 'INVALID_ARGUMENT'));
        await expect(readdir(other)).resolves.toEqual([]);
    });

    it('finds the project from a subdirectory, and says to init elsewhere', async () => {
        await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
        await tracker.close();
        tracker = await openTracker({ dir: path.join(dir, 'a', 'b') });
        expect(tracker.projectDir).toBe(dir);
        await expect(openTracker({ dir: tmpdir() })).rejects.toSatisfy((e) => isTrackerError(e, 'NOT_INITIALIZED'));
    });
});

describe('Tracker', { timeout: 30_000 }, () => {
    it('stores identical bytes once and records both keys', async () => {
        await writeFile(path.join(dir, 'x.bin'), 'same bytes');
        const first = await tracker.record(path.join(dir, 'x.bin'), { key: 'k/one' });
        const second = await tracker.record(path.join(dir, 'x.bin'), { key: 'k/two', dependencies: ['k/one'] });
        expect(first.uploaded).toBe(true);
        expect(second.uploaded).toBe(false);
        expect(second.record.pointer).toBe(first.record.pointer);
        expect(second.record.dependencies).toEqual([first.record.id]);
        expect((await tracker.client.getByChecksum(first.record.checksum)).map((r) => r.key).sort()).toEqual(['k/one', 'k/two']);
        expect(await objects()).toHaveLength(1);
        const report = await tracker.verify();
        expect(report).toMatchObject({ ok: true, objects: { checked: 2, problems: [] }, ledger: { ok: true } });
    });

    it('an aborted record stores and records nothing', async () => {
        await writeFile(path.join(dir, 'y.bin'), Buffer.alloc(1 << 20, 7));
        const before = (await tracker.status()).ledger.height;
        const controller = new AbortController();
        controller.abort();
        await expect(tracker.record(path.join(dir, 'y.bin'), { key: 'k/y', signal: controller.signal })).rejects.toSatisfy((e) => isTrackerError(e, 'ABORTED'));
        expect((await tracker.status()).ledger.height).toBe(before);
        expect(await objects()).toEqual([]);
    });

    it('resolves keys and ids for verify and fetch; metadata-only records are reported unchecked', async () => {
        await writeFile(path.join(dir, 'z.bin'), 'zzz');
        const { record } = await tracker.record(path.join(dir, 'z.bin'), { key: 'k/z', meta: { epoch: 1 } });
        const put = await tracker.put({ key: 'k/ext', checksum: record.checksum, size: 3, location: 'https://example.com/m', pointer: 'z' });
        // Without a size, put reads it from the store the bytes are in.
        const alias = await tracker.put({ key: 'k/alias', checksum: record.checksum, location: record.location, pointer: record.pointer });
        expect(alias.record.size).toBe(3);
        expect(await tracker.resolve('k/z')).toEqual(record);
        expect(await tracker.resolve(record.id)).toEqual(record);
        await expect(tracker.resolve('k/none')).rejects.toSatisfy((e) => isTrackerError(e, 'NOT_FOUND'));
        expect(await tracker.verify({ target: record.id })).toMatchObject({ ok: true, objects: { checked: 1 } });
        expect(await tracker.verify({ target: 'k/ext' })).toMatchObject({ ok: true, objects: { checked: 0, problems: [{ id: put.record.id, status: 'unchecked' }] } });
        const fetched = await tracker.fetch('k/z', path.join(dir, 'copy.bin'));
        expect(await readFile(fetched.path, 'utf8')).toBe('zzz');
        await expect(tracker.fetch('k/ext', path.join(dir, 'ext.bin'))).rejects.toSatisfy((e) => isTrackerError(e, 'INVALID_ARGUMENT'));
        expect((await readdir(dir)).filter((name) => name.includes('ext'))).toEqual([]);
    });

    it('answers lineage both ways and closes idempotently', async () => {
        await writeFile(path.join(dir, 'd.bin'), 'data');
        await writeFile(path.join(dir, 'm.bin'), 'model');
        const data = await tracker.record(path.join(dir, 'd.bin'), { key: 'data/d' });
        const model = await tracker.record(path.join(dir, 'm.bin'), { key: 'models/m', dependencies: [data.record.id], type: 'transformation' });
        const up = await tracker.lineage(model.record.id);
        expect(up.records[data.record.id]).toEqual(data.record);
        const down = await tracker.lineage(data.record.id, { direction: 'down', depth: 1 });
        expect(Object.keys(down.records).sort()).toEqual([data.record.id, model.record.id].sort());
        await tracker.close();
        await tracker.close();
    });
});
