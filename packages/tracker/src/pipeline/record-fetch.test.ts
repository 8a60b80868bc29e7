import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalStore, type ObjectStore } from '@hyperprov/storage';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { isTrackerError } from '@hyperprov/errors';
import { fetchRecordBytes } from './record-fetch.js';

let dir: string;
let store: ObjectStore;
let record: ProvenanceRecord;
const body = Buffer.from('checkpoint bytes '.repeat(1000));

beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hp-fetch-'));
    store = createLocalStore({ root: path.join(dir, 'objects') });
    const checksum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const put = await store.put(Readable.from([body]), { checksum });
    record = {
        schema: 1,
        id: 'tx1',
        key: 'models/resnet.pt',
        checksum,
        size: body.length,
        location: store.location,
        pointer: put.pointer,
        creator: { mspId: 'LocalMSP', id: 'x' },
        timestamp: '2026-01-01T00:00:00.000Z',
        type: 'record',
        meta: {},
        dependencies: [],
    };
    await mkdir(path.join(dir, 'out'));
});
afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
});

async function flipStoredByte(): Promise<void> {
    const file = path.join(dir, 'objects', record.pointer);
    await chmod(file, 0o644);
    const handle = await open(file, 'r+');
    const one = Buffer.alloc(1);
    await handle.read(one, 0, 1, 100);
    one[0] = one[0]! ^ 0xff;
    await handle.write(one, 0, 1, 100);
    await handle.close();
}

describe('fetchRecordBytes', () => {
    it('writes the bytes when they match the record', async () => {
        const result = await fetchRecordBytes(record, store, path.join(dir, 'out', 'model.pt'));
        expect(result.bytes).toBe(body.length);
        expect((await readFile(result.path)).equals(body)).toBe(true);
        expect(await readdir(path.join(dir, 'out'))).toEqual(['model.pt']);
    });

    it('names the file after the key when given a directory', async () => {
        const result = await fetchRecordBytes(record, store, path.join(dir, 'out'));
        expect(result.path).toBe(path.join(dir, 'out', 'resnet.pt'));
    });

    it('writes nothing, not even a temp file, when the stored bytes changed', async () => {
        await flipStoredByte();
        const error = await fetchRecordBytes(record, store, path.join(dir, 'out', 'model.pt')).catch((e: unknown) => e);
        expect(isTrackerError(error, 'CHECKSUM_MISMATCH')).toBe(true);
        expect((error as Error).message).toContain(record.id);
        expect(await readdir(path.join(dir, 'out'))).toEqual([]);
    });

    it('creates missing directories only for bytes that match', async () => {
        await flipStoredByte();
        await expect(fetchRecordBytes(record, store, path.join(dir, 'out', 'a', 'b', 'model.pt'))).rejects.toSatisfy((e) =>
            isTrackerError(e, 'CHECKSUM_MISMATCH'),
        );
        expect(await readdir(path.join(dir, 'out'))).toEqual([]);
        await flipStoredByte();
        const result = await fetchRecordBytes(record, store, path.join(dir, 'out', 'a', 'b', 'model.pt'));
        expect((await readFile(result.path)).equals(body)).toBe(true);
        expect(await readdir(path.join(dir, 'out'))).toEqual(['a']);
    });

    it('refuses to replace an existing file unless forced', async () => {
        const target = path.join(dir, 'out', 'model.pt');
        await writeFile(target, 'keep me');
        await expect(fetchRecordBytes(record, store, target)).rejects.toSatisfy((e) => isTrackerError(e, 'ALREADY_EXISTS'));
        expect(await readFile(target, 'utf8')).toBe('keep me');
        await fetchRecordBytes(record, store, target, { force: true });
        expect((await readFile(target)).equals(body)).toBe(true);
        expect(await readdir(path.join(dir, 'out'))).toEqual(['model.pt']);
    });

    it('reports a missing object as NOT_FOUND and leaves no temp file', async () => {
        const error = await fetchRecordBytes({ ...record, pointer: `sha256/00/${'0'.repeat(62)}` }, store, path.join(dir, 'out', 'x')).catch((e: unknown) => e);
        expect(isTrackerError(error, 'NOT_FOUND')).toBe(true);
        expect(await readdir(path.join(dir, 'out'))).toEqual([]);
    });
});
