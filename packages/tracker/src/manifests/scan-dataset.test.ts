import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTrackerError, type TrackerErrorCode } from '@hyperprov/errors';
import { createHashPool, openHashCache, type HashCache, type HashPool } from '../hashing/index.js';
import { compareDataset } from './compare-dataset.js';
import { serializeManifest } from './manifest.js';
import { hashDatasetFile } from './dataset-hasher.js';
import { scanDataset, walkDataset } from './scan-dataset.js';

// Real worker threads and a real on-disk cache: nothing faked.
let pool: HashPool;
let base: string;
beforeAll(async () => {
    pool = createHashPool({ threads: 2 });
    base = await mkdtemp(path.join(tmpdir(), 'hp-manifest-'));
});
afterAll(async () => {
    await pool?.close();
    if (base) await rm(base, { recursive: true, force: true });
});

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
let counter = 0;
const newDir = async (): Promise<string> => {
    const dir = path.join(base, `d${counter++}`);
    await mkdir(dir);
    return dir;
};
/** Writes files (relative path -> content) in the given order, with an old mtime so the cache may keep them. */
async function writeTree(dir: string, files: Array<[string, string | Buffer]>, mtime = new Date(Date.now() - 3600_000)): Promise<void> {
    for (const [rel, content] of files) {
        const file = path.join(dir, rel);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content);
        await utimes(file, mtime, mtime);
    }
}
async function errorCode(promise: Promise<unknown>): Promise<TrackerErrorCode | string> {
    try {
        await promise;
    } catch (error) {
        return isTrackerError(error) ? error.code : `not a TrackerError: ${String(error)}`;
    }
    return 'resolved';
}

const TREE: Array<[string, string | Buffer]> = [
    ['train/cat/001.jpg', 'cat one'],
    ['train/cat/002.jpg', 'cat two'],
    ['train/dog/001.jpg', Buffer.alloc(3 * 1024 * 1024 + 7, 1)],
    ['test/empty.txt', ''],
    ['labels.csv', 'id,label\n1,cat\n'],
    ['unicode/été/naïve-日本語.txt', 'unicode'],
    ['unicode/\u{1F600}.bin', 'emoji'],
    ['unicode/\uFF21.bin', 'fullwidth A'],
    ['deep/a/b/c/d/e/f/g/leaf', 'deep'],
    ['.gitattributes', 'dot files are data'],
];

describe('scanDataset', () => {
    it('lists nested, empty and unicode files, sorted, with sizes and hashes', async () => {
        const dir = await newDir();
        await writeTree(dir, TREE);
        const { manifest, skipped } = await scanDataset(dir, { pool });
        expect(manifest.entries.map((e) => e.path)).toEqual([
            '.gitattributes',
            'deep/a/b/c/d/e/f/g/leaf',
            'labels.csv',
            'test/empty.txt',
            'train/cat/001.jpg',
            'train/cat/002.jpg',
            'train/dog/001.jpg',
            'unicode/été/naïve-日本語.txt',
            'unicode/\uFF21.bin',
            'unicode/\u{1F600}.bin',
        ]);
        const byPath = new Map(manifest.entries.map((e) => [e.path, e]));
        expect(byPath.get('test/empty.txt')).toEqual({ path: 'test/empty.txt', size: 0, sha256: sha('') });
        expect(byPath.get('train/dog/001.jpg')).toEqual({ path: 'train/dog/001.jpg', size: 3 * 1024 * 1024 + 7, sha256: sha(Buffer.alloc(3 * 1024 * 1024 + 7, 1)) });
        expect(manifest.count).toBe(TREE.length);
        expect(manifest.totalSize).toBe(TREE.reduce((n, [, c]) => n + Buffer.byteLength(c), 0));
        expect(skipped).toEqual([]);
    });

    it('gives the same bytes for the same tree created in another order at another time', async () => {
        const a = await newDir();
        const b = await newDir();
        await writeTree(a, TREE);
        await writeTree(b, [...TREE].reverse(), new Date(Date.now() - 7200_000));
        const ma = serializeManifest((await scanDataset(a, { pool })).manifest);
        const mb = serializeManifest((await scanDataset(b, { pool, concurrency: 1 })).manifest);
        expect(mb.bytes.equals(ma.bytes)).toBe(true);
        expect(mb.checksum).toBe(ma.checksum);
    });

    it('refuses a path that is not a directory, or is missing, with a clear TrackerError', async () => {
        const dir = await newDir();
        await writeTree(dir, [['file.txt', 'x']]);
        const notDir = await scanDataset(path.join(dir, 'file.txt'), { pool }).catch((e: unknown) => e);
        expect(isTrackerError(notDir, 'INVALID_ARGUMENT')).toBe(true);
        expect((notDir as Error).message).toMatch(/is not a directory/);
        expect(await errorCode(scanDataset(path.join(dir, 'missing'), { pool }))).toBe('NOT_FOUND');
    });

    it('skips dot-directories and always .hyperprov/; dotDirs takes the others', async () => {
        const dir = await newDir();
        await writeTree(dir, [
            ['data.txt', 'd'],
            ['.hyperprov/ledger/blocks', 'ledger'],
            ['.git/HEAD', 'ref'],
            ['sub/.cache/x', 'cache'],
            ['sub/.keep', ''],
        ]);
        const paths = async (dotDirs: boolean): Promise<string[]> => (await scanDataset(dir, { pool, dotDirs })).manifest.entries.map((e) => e.path);
        expect(await paths(false)).toEqual(['data.txt', 'sub/.keep']);
        expect(await paths(true)).toEqual(['.git/HEAD', 'data.txt', 'sub/.cache/x', 'sub/.keep']);
    });

    it('applies include and exclude globs, and refuses globs that leave the root', async () => {
        const dir = await newDir();
        await writeTree(dir, [
            ['a.csv', '1'],
            ['b.json', '2'],
            ['tmp/c.csv', '3'],
        ]);
        const r = await scanDataset(dir, { pool, include: ['**/*.csv'], exclude: ['tmp/**'] });
        expect(r.manifest.entries.map((e) => e.path)).toEqual(['a.csv']);
        expect(await errorCode(scanDataset(dir, { pool, include: ['../**'] }))).toBe('INVALID_ARGUMENT');
        expect(await errorCode(scanDataset(dir, { pool, exclude: ['/etc/**'] }))).toBe('INVALID_ARGUMENT');
    });

    it('records links to files inside the root, refuses links that escape, point to directories or nowhere', async () => {
        const outside = await newDir();
        await writeTree(outside, [['secret', 's']]);
        const dir = await newDir();
        await writeTree(dir, [['real/f', 'content']]);
        await symlink('real/f', path.join(dir, 'alias'));
        const r = await scanDataset(dir, { pool });
        expect(r.manifest.entries).toEqual([
            { path: 'alias', size: 7, sha256: sha('content') },
            { path: 'real/f', size: 7, sha256: sha('content') },
        ]);

        for (const [name, target] of [
            ['escape', path.join(outside, 'secret')],
            ['dirlink', 'real'],
            ['dangling', 'nowhere'],
        ] as const) {
            await symlink(target, path.join(dir, name));
            const error = await scanDataset(dir, { pool }).catch((e: unknown) => e);
            expect(isTrackerError(error, 'INVALID_ARGUMENT'), name).toBe(true);
            expect((error as Error).message).toContain(name);
            // ...and --exclude lets the rest through.
            expect((await scanDataset(dir, { pool, exclude: [name] })).manifest.count).toBe(2);
            await unlink(path.join(dir, name));
        }
    });

    it('skips special files (FIFOs) and lists them', async () => {
        const dir = await newDir();
        await writeTree(dir, [['f', 'x']]);
        execFileSync('mkfifo', [path.join(dir, 'pipe')]);
        const r = await scanDataset(dir, { pool });
        expect(r.manifest.entries.map((e) => e.path)).toEqual(['f']);
        expect(r.skipped).toEqual([{ path: 'pipe', reason: 'special-file' }]);
    });

    it('refuses names that are not valid UTF-8', async () => {
        const dir = await newDir();
        await writeTree(dir, [['ok', 'x']]);
        // A Latin-1 "é" (0xE9) on its own is not UTF-8.
        await writeFile(Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9])]), 'latin1');
        const error = await scanDataset(dir, { pool }).catch((e: unknown) => e);
        expect(isTrackerError(error, 'INVALID_ARGUMENT')).toBe(true);
        expect((error as Error).message).toMatch(/UTF-8/);
    });

    it('fails with FILE_CHANGED when a listed file vanishes before it is read', async () => {
        const dir = await newDir();
        const names = ['a', 'b', 'c', 'd', 'e'];
        await writeTree(dir, names.map((name): [string, string] => [name, name]));
        // One file at a time; once the first is hashed, delete the rest (already listed by the walk).
        const error = await scanDataset(dir, {
            pool,
            concurrency: 1,
            onProgress: (p) => {
                if (p.done === 1) for (const name of names) if (name !== p.path) execFileSync('rm', ['-f', path.join(dir, name)]);
            },
        }).catch((e: unknown) => e);
        expect(isTrackerError(error, 'FILE_CHANGED'), String(error)).toBe(true);
        expect((error as Error).message).toMatch(/disappeared/);
    });

    it('keeps at most `concurrency` files in flight', async () => {
        const dir = await newDir();
        await writeTree(dir, Array.from({ length: 200 }, (_, i): [string, string] => [`d${i % 5}/f${i}`, `x${i}`]));
        for (const concurrency of [1, 3, 16]) {
            let running = 0;
            let peak = 0;
            const result = await walkDataset(dir, { pool, concurrency }, async (file, relative, signal) => {
                peak = Math.max(peak, ++running);
                try {
                    return await hashDatasetFile(file, relative, { pool }, signal);
                } finally {
                    running--;
                }
            });
            expect(result.manifest.count).toBe(200);
            expect(peak).toBeLessThanOrEqual(concurrency);
            if (concurrency > 1) expect(peak).toBeGreaterThan(1);
        }
    });

    it('reports progress and stops on abort with ABORTED', async () => {
        const dir = await newDir();
        await writeTree(dir, Array.from({ length: 50 }, (_, i): [string, string] => [`f${i}`, `content ${i}`]));
        const seen: number[] = [];
        const r = await scanDataset(dir, { pool, onProgress: (p) => seen.push(p.done) });
        expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        expect(r.manifest.count).toBe(50);

        const controller = new AbortController();
        const aborted = scanDataset(dir, {
            pool,
            concurrency: 2,
            signal: controller.signal,
            onProgress: (p) => p.done === 3 && controller.abort(),
        });
        expect(await errorCode(aborted)).toBe('ABORTED');
        expect(await errorCode(scanDataset(dir, { pool, signal: AbortSignal.abort() }))).toBe('ABORTED');
    });
});

describe('re-scanning with the hash cache', () => {
    let cache: HashCache;
    beforeAll(async () => {
        cache = await openHashCache(path.join(base, 'cache'));
    });
    afterAll(async () => {
        await cache?.close();
    });

    it('re-reads only the files that changed, and the diff names every change', async () => {
        const dir = await newDir();
        const files = Array.from({ length: 40 }, (_, i): [string, string] => [`part-${i % 4}/file-${i}.bin`, `payload ${i}`]);
        await writeTree(dir, files);

        const readsBefore = pool.stats.filesRead;
        const first = await scanDataset(dir, { pool, cache });
        expect(pool.stats.filesRead - readsBefore).toBe(40);

        // Unchanged: nothing is read again, same manifest.
        let reads = pool.stats.filesRead;
        const second = await scanDataset(dir, { pool, cache });
        expect(pool.stats.filesRead - reads).toBe(0);
        expect(second.manifest).toEqual(first.manifest);

        // Modify one (same size, new content), add one, delete one.
        await writeTree(dir, [['part-1/file-1.bin', 'PAYLOAD 1'], ['part-9/new.bin', 'new']], new Date(Date.now() - 60_000));
        await unlink(path.join(dir, 'part-2/file-2.bin'));
        reads = pool.stats.filesRead;
        const third = await scanDataset(dir, { pool, cache });
        expect(pool.stats.filesRead - reads).toBe(2);
        expect(third.manifest.root).not.toBe(first.manifest.root);

        const diff = await compareDataset(first.manifest, third.manifest);
        expect(diff.added.map((e) => e.path)).toEqual(['part-9/new.bin']);
        expect(diff.removed.map((e) => e.path)).toEqual(['part-2/file-2.bin']);
        expect(diff.modified.map((m) => [m.path, m.change])).toEqual([['part-1/file-1.bin', 'content']]);
        expect(diff.counts.unchanged).toBe(38);

        // Against the directory directly, without the cache: every byte is read again.
        reads = pool.stats.filesRead;
        const live = await compareDataset(first.manifest, dir, { pool });
        expect(pool.stats.filesRead - reads).toBe(40);
        expect(live.counts).toEqual(diff.counts);
        expect(live.against).toEqual(third.manifest);
    });

    it('compareDataset against a directory needs the pool', async () => {
        const dir = await newDir();
        const { manifest } = await scanDataset(dir, { pool });
        expect(await errorCode(compareDataset(manifest, dir))).toBe('INVALID_ARGUMENT');
    });
});
