import { appendFile, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf, type FileIdentity } from './file-identity.js';
import { openHashCache } from './hash-cache.js';
import { hashFile } from './hash-file.js';
import { createHashPool, type HashPool } from './hash-pool.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const OLD = 1_600_000_000_000; // 2020: well outside the racy window

function identity(ino: bigint, changedMs = OLD): FileIdentity {
    const ns = BigInt(changedMs) * 1_000_000n;
    return { dev: 1n, ino, size: 10n, mtimeNs: ns, ctimeNs: ns };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let dir: string;
let pool: HashPool;
beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hyperprov-hash-cache-'));
    pool = createHashPool({ threads: 1 });
});
afterAll(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
});

describe('hash cache', () => {
    it('persists entries across reopen and counts hits and misses', async () => {
        const cacheDir = join(dir, 'persist');
        const cache = await openHashCache(cacheDir);
        expect(await cache.set(identity(1n), A, Date.now())).toBe(true);
        expect(cache.get(identity(1n))).toBe(A);
        expect(cache.get(identity(2n))).toBeUndefined();
        expect([cache.hits, cache.misses]).toEqual([1, 1]);
        await cache.close();
        const reopened = await openHashCache(cacheDir);
        expect(reopened.get(identity(1n))).toBe(A);
        expect(reopened.get({ ...identity(1n), size: 11n })).toBeUndefined();
        expect(reopened.get({ ...identity(1n), mtimeNs: identity(1n).mtimeNs + 1n })).toBeUndefined();
        expect(reopened.get({ ...identity(1n), ctimeNs: identity(1n).ctimeNs + 1n })).toBeUndefined();
        await reopened.close();
    });

    it('does not cache a file modified within the racy window', async () => {
        const cache = await openHashCache(join(dir, 'racy'));
        const now = Date.now();
        expect(await cache.set(identity(3n, now - 500), A, now)).toBe(false);
        expect(cache.get(identity(3n, now - 500))).toBeUndefined();
        await cache.close();
    });

    it('ignores a torn last line and compacts a mostly superseded log', async () => {
        const cacheDir = join(dir, 'compact');
        const cache = await openHashCache(cacheDir);
        for (let i = 0; i < 1500; i++) await cache.set(identity(7n), i % 2 === 0 ? A : B, Date.now());
        await cache.close();
        await appendFile(join(cacheDir, 'hashes.jsonl'), '{"k":"1:9:10:1","c":"sha2');
        const reopened = await openHashCache(cacheDir);
        expect(reopened.get(identity(7n))).toBe(B);
        expect(reopened.size).toBe(1);
        await reopened.close();
        expect((await readFile(join(cacheDir, 'hashes.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(1);
    });

    it('lets hashFile skip reading an unchanged file, and re-read a changed one', async () => {
        const cache = await openHashCache(join(dir, 'hash-file'));
        const path = join(dir, 'data.bin');
        await writeFile(path, 'first version');
        await utimes(path, OLD / 1000, OLD / 1000);
        await pause(30); // past the timestamp tick of that change
        const first = await hashFile(path, { pool, cache });
        expect(first.cached).toBe(false);
        const reads = pool.stats.filesRead;
        const second = await hashFile(path, { pool, cache });
        expect(second).toMatchObject({ cached: true, checksum: first.checksum, size: first.size });
        expect(pool.stats.filesRead).toBe(reads); // not read again
        await writeFile(path, 'second version');
        await utimes(path, OLD / 1000 + 5, OLD / 1000 + 5);
        await pause(30);
        const third = await hashFile(path, { pool, cache });
        expect(third.cached).toBe(false);
        expect(third.checksum).not.toBe(first.checksum);
        expect(pool.stats.filesRead).toBe(reads + 1);
        expect(identityOf(await stat(path, { bigint: true }))).toEqual(third.identity);
        await cache.close();
    });

    it('sees a same-size rewrite that sets the old mtime back (cp -p), by its ctime', async () => {
        const cache = await openHashCache(join(dir, 'mtime-restored'));
        const path = join(dir, 'restored.bin');
        await writeFile(path, 'AAAA version');
        await utimes(path, OLD / 1000, OLD / 1000);
        await pause(30);
        const first = await hashFile(path, { pool, cache });
        await pause(30);
        await writeFile(path, 'BBBB version'); // same size…
        await utimes(path, OLD / 1000, OLD / 1000); // …and the same mtime as before
        await pause(30);
        const second = await hashFile(path, { pool, cache });
        expect(second.cached).toBe(false);
        expect(second.checksum).not.toBe(first.checksum);
        await cache.close();
    });
});
