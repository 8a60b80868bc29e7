import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { appendFile, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createLocalStore, StoreError, type ObjectInfo, type ObjectStore } from '@hyperprov/storage';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isTrackerError } from '@hyperprov/errors';
import { openHashCache } from '../hashing/hash-cache.js';
import { createHashPool, type HashPool } from '../hashing/hash-pool.js';
import { ingestFile } from './ingest.js';

const CHUNK = 256 * 1024;

function sha256(bytes: Uint8Array): string {
    return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function readAll(stream: Readable): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of stream) parts.push(part as Buffer);
    return Buffer.concat(parts);
}

async function listAll(store: ObjectStore): Promise<ObjectInfo[]> {
    const found: ObjectInfo[] = [];
    for await (const info of store.list()) found.push(info);
    return found;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
        () => {
            throw new Error('expected a rejection');
        },
        (error: unknown) => error,
    );
}

let dir: string;
let pool: HashPool;
let root: string;
let store: ObjectStore;

beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hyperprov-ingest-'));
    pool = createHashPool({ threads: 2, chunkSize: CHUNK, slots: 3 });
    await pool.ready();
});
afterAll(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
    root = await mkdtemp(join(dir, 'store-'));
    store = createLocalStore({ root });
});
afterEach(async () => {
    await store.close();
    // Whatever happened, no temp file of an upload may be left behind.
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
});

async function file(name: string, bytes: Uint8Array): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
}

describe('ingestFile', () => {
    it('streams a file into the store once, hashed by the workers', async () => {
        const bytes = randomBytes(7 * CHUNK + 4321);
        const path = await file('model.bin', bytes);
        const progress: number[] = [];
        const reads = pool.stats.filesRead;
        const result = await ingestFile(path, store, { pool, onProgress: (n) => progress.push(n) });
        expect(result).toMatchObject({ checksum: sha256(bytes), size: bytes.byteLength, location: store.location, skipped: false, cached: false });
        expect(pool.stats.filesRead).toBe(reads + 1);
        expect((await readAll(await store.get(result.pointer))).equals(bytes)).toBe(true);
        expect(progress.at(-1)).toBe(bytes.byteLength);

        const again = await ingestFile(path, store, { pool });
        expect(again).toMatchObject({ checksum: result.checksum, pointer: result.pointer, skipped: true });
    });

    it('reuses its shared buffers from file to file', async () => {
        const path = await file('reused.bin', randomBytes(5 * CHUNK));
        for (let i = 0; i < 3; i++) await ingestFile(path, store, { pool });
        const rings = pool.stats.ringsAllocated;
        for (let i = 0; i < 10; i++) await ingestFile(path, store, { pool });
        await Promise.all(Array.from({ length: 6 }, () => ingestFile(path, store, { pool })));
        // Sequential files reuse one ring; parallel ones at most one per thread.
        expect(pool.stats.ringsAllocated - rings).toBeLessThanOrEqual(pool.threads);
    });

    it('ingests an empty file', async () => {
        const result = await ingestFile(await file('empty', new Uint8Array(0)), store, { pool });
        expect(result).toMatchObject({ checksum: sha256(new Uint8Array(0)), size: 0 });
    });

    it('refuses a file appended to during ingest and stores nothing', async () => {
        const path = await file('growing.bin', randomBytes(12 * CHUNK));
        let appended = false;
        const error = await rejection(
            ingestFile(path, store, {
                pool,
                onProgress: () => {
                    if (appended) return;
                    appended = true;
                    // Synchronous, so the bytes are there before the reader (at most `slots`
                    // chunks ahead of the upload) reaches the end and checks the file again.
                    appendFileSync(path, 'one more line\n');
                },
            }),
        );
        expect(isTrackerError(error, 'FILE_CHANGED')).toBe(true);
        expect(await listAll(store)).toEqual([]);
    });

    it('never reports a checksum of bytes other than those stored while a writer appends', async () => {
        const path = await file('racing.bin', randomBytes(6 * CHUNK));
        let writing = true;
        const writer = (async () => {
            while (writing) {
                await new Promise((resolve) => setTimeout(resolve, Math.random() * 8));
                await appendFile(path, randomBytes(1 + Math.floor(Math.random() * 5000)));
            }
        })();
        let changed = 0;
        let ingested = 0;
        try {
            for (let i = 0; i < 25; i++) {
                try {
                    const result = await ingestFile(path, store, { pool });
                    ingested++;
                    const stored = await readAll(await store.get(result.pointer));
                    expect(sha256(stored)).toBe(result.checksum);
                    expect(stored.byteLength).toBe(result.size);
                } catch (error) {
                    if (!isTrackerError(error, 'FILE_CHANGED')) throw error;
                    changed++;
                }
            }
        } finally {
            writing = false;
            await writer;
        }
        expect(changed + ingested).toBe(25);
        expect(changed).toBeGreaterThan(0);
        // Every stored object is one that some ingest reported; nothing torn was published.
        expect((await listAll(store)).length).toBeLessThanOrEqual(ingested);
    });

    it('retries a changing file when asked to', async () => {
        // Larger than the ring (3 slots) and appended synchronously at the first progress: the
        // first attempt cannot have finished reading, so it must see the change and retry. (With
        // 4 chunks and an async append the read could end first, and the test failed in CI.)
        const path = await file('settles.bin', randomBytes(12 * CHUNK));
        let appends = 0;
        const result = await ingestFile(path, store, {
            pool,
            retries: 3,
            onProgress: () => {
                if (appends++ === 0) appendFileSync(path, 'late write');
            },
        });
        expect(result.size).toBe(12 * CHUNK + 'late write'.length);
        expect(await listAll(store)).toHaveLength(1);
    });

    it('aborts: ABORTED and nothing stored', async () => {
        const path = await file('aborted.bin', randomBytes(16 * CHUNK));
        const controller = new AbortController();
        const error = await rejection(
            ingestFile(path, store, { pool, signal: controller.signal, onProgress: () => controller.abort() }),
        );
        expect(isTrackerError(error, 'ABORTED')).toBe(true);
        expect(await listAll(store)).toEqual([]);
    });

    it('reports a missing file as NOT_FOUND', async () => {
        expect(isTrackerError(await rejection(ingestFile(join(dir, 'missing'), store, { pool })), 'NOT_FOUND')).toBe(true);
    });

    it('uses the hash cache: an unchanged file already in the store is not read again', async () => {
        const cache = await openHashCache(join(dir, 'cache'));
        try {
            const bytes = randomBytes(3 * CHUNK);
            const path = await file('cached.bin', bytes);
            await utimes(path, 1_600_000_000, 1_600_000_000);
            const first = await ingestFile(path, store, { pool, cache });
            expect(first.cached).toBe(false);
            const reads = pool.stats.filesRead;
            const second = await ingestFile(path, store, { pool, cache });
            expect(second).toMatchObject({ cached: true, skipped: true, checksum: first.checksum, pointer: first.pointer });
            expect(pool.stats.filesRead).toBe(reads);

            // Cached, but the store lost the object: the bytes are read (and re-verified) again.
            await store.delete(first.pointer);
            const third = await ingestFile(path, store, { pool, cache });
            expect(third).toMatchObject({ cached: true, skipped: false, checksum: first.checksum });
            expect(pool.stats.filesRead).toBe(reads + 1);
            expect((await readAll(await store.get(third.pointer))).equals(bytes)).toBe(true);
        } finally {
            await cache.close();
        }
    });

    it('translates store errors into TrackerErrors', async () => {
        const broken: ObjectStore = {
            location: 'file:///broken',
            async put(body) {
                for await (const _ of body) throw new StoreError('UNAVAILABLE', 'disk gone');
                throw new StoreError('UNAVAILABLE', 'disk gone');
            },
            get: () => Promise.reject(new Error('unused')),
            stat: () => Promise.reject(new Error('unused')),
            exists: async () => false,
            delete: async () => {},
            async *list() {},
            close: async () => {},
            [Symbol.asyncDispose]: async () => {},
        };
        const error = await rejection(ingestFile(await file('unlucky.bin', randomBytes(5 * CHUNK)), broken, { pool }));
        expect(isTrackerError(error, 'STORE_UNAVAILABLE')).toBe(true);
        expect((error as Error).message).toMatch(/disk gone/);
        // The pass was stopped and its thread returned: the pool still works.
        const bytes = randomBytes(CHUNK);
        expect((await pool.hash(await file('after.bin', bytes))).checksum).toBe(sha256(bytes));
    });
});
