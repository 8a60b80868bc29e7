/**
 * Integration: an owned file (a snapshot) into real stores with real hash workers. The local store
 * on the same file system adopts it (one inode, bytes written once); a store on another file
 * system and a store without `adopt` get its bytes copied by the ordinary ingest.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalStore, type ObjectStore } from '@hyperprov/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashPool, type HashPool } from '../hashing/hash-pool.js';
import { ingestOwnedFile } from './adopt.js';

let dir: string;
let pool: HashPool;
const bytes = randomBytes(5 << 20);
const checksum = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hyperprov-adopt-int-'));
    pool = createHashPool({ threads: 1 });
});
afterAll(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
});

async function owned(name: string): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, bytes);
    return file;
}

describe('ingest of an owned file', { timeout: 60_000 }, () => {
    it('is adopted by a local store on the same file system: the object is the file', async () => {
        const store = createLocalStore({ root: join(dir, 'store') });
        const file = await owned('snapshot-a');
        const result = await ingestOwnedFile(file, store, { pool });
        expect(result).toMatchObject({ checksum, size: bytes.byteLength, skipped: false, cached: false });
        expect((await stat(join(dir, 'store', result.pointer))).ino).toBe((await stat(file)).ino);
        // The same bytes from another snapshot: the object is reused, not replaced.
        const again = await ingestOwnedFile(await owned('snapshot-b'), store, { pool });
        expect(again).toMatchObject({ pointer: result.pointer, skipped: true });
        await store.close();
    });

    it('is copied into a store without adopt, and into a local store on another file system', async (ctx) => {
        const plain = createLocalStore({ root: join(dir, 'plain') });
        const withoutAdopt: ObjectStore = Object.assign(Object.create(null) as ObjectStore, {
            location: plain.location,
            put: plain.put.bind(plain),
            get: plain.get.bind(plain),
            stat: plain.stat.bind(plain),
            exists: plain.exists.bind(plain),
            delete: plain.delete.bind(plain),
            list: plain.list.bind(plain),
            close: plain.close.bind(plain),
            [Symbol.asyncDispose]: () => plain.close(),
        });
        const file = await owned('snapshot-c');
        const copied = await ingestOwnedFile(file, withoutAdopt, { pool });
        expect(copied).toMatchObject({ checksum, skipped: false });
        expect((await stat(join(dir, 'plain', copied.pointer))).ino).not.toBe((await stat(file)).ino);
        await plain.close();

        const shm = await mkdtemp('/dev/shm/hyperprov-adopt-').catch(() => undefined);
        try {
            if (shm === undefined || (await stat(shm)).dev === (await stat(dir)).dev) ctx.skip();
            const elsewhere = createLocalStore({ root: shm! });
            expect(await elsewhere.canAdopt?.(file)).toBe(false);
            const hashedBefore = pool.stats.bytesHashed;
            const result = await ingestOwnedFile(file, elsewhere, { pool });
            expect(result).toMatchObject({ checksum, skipped: false });
            expect((await readFile(join(shm!, result.pointer))).equals(bytes)).toBe(true);
            // One pass: the put's, not a hash for an adopt that could not happen and then the put's.
            expect(pool.stats.bytesHashed - hashedBefore).toBe(bytes.byteLength);
            await elsewhere.close();
        } finally {
            if (shm !== undefined) await rm(shm, { recursive: true, force: true });
        }
    });
});
