import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTrackerError } from '@hyperprov/errors';
import { createHashPool, type HashPool } from './hash-pool.js';

const CHUNK = 64 * 1024;

function sha256(bytes: Uint8Array): string {
    return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
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

beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hyperprov-hash-pool-'));
    // Small chunks and two slots make every test wrap the ring many times.
    pool = createHashPool({ threads: 2, chunkSize: CHUNK, slots: 2 });
    await pool.ready();
});

afterAll(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
});

async function file(name: string, bytes: Uint8Array): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
}

describe('hash pool', () => {
    it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 12_345])('hashes a %i-byte file like node:crypto', async (size) => {
        const bytes = randomBytes(size);
        const result = await pool.hash(await file(`size-${size}`, bytes));
        expect(result.checksum).toBe(sha256(bytes));
        expect(result.size).toBe(size);
    });

    it('hashes small files on the calling thread and big ones in workers', async () => {
        const before = { ...pool.stats };
        const small = randomBytes(CHUNK);
        const big = randomBytes(CHUNK + 1);
        const pass = await pool.open(await file('small-consumed', small), { consume: true });
        const copies: Buffer[] = [];
        for await (const chunk of pass.chunks) copies.push(Buffer.from(chunk));
        expect(Buffer.concat(copies).equals(small)).toBe(true);
        expect(await pass.checksum).toBe(sha256(small));
        expect((await pool.hash(await file('big-one', big))).checksum).toBe(sha256(big));
        expect(pool.stats.filesRead - before.filesRead).toBe(2);
        expect(pool.stats.filesInline - before.filesInline).toBe(1);
    });

    it('hashes the first big file of a cold pool on the calling thread instead of waiting for a worker', async () => {
        const cold = createHashPool({ threads: 1, chunkSize: CHUNK, slots: 2 });
        try {
            const bytes = randomBytes(6 * CHUNK);
            const path = await file('cold', bytes);
            const [first, second] = await Promise.all([cold.hash(path), cold.hash(path)]);
            expect([first.checksum, second.checksum]).toEqual([sha256(bytes), sha256(bytes)]);
            expect(cold.stats.filesInline).toBe(1); // only one file goes inline; the other waits
            await cold.ready();
            expect((await cold.hash(path)).checksum).toBe(sha256(bytes));
            expect(cold.stats.filesInline).toBe(1); // warm: workers again
            expect(cold.stats.filesRead).toBe(3);
        } finally {
            await cold.close();
        }
    });

    it('hands the uploader every chunk in order, once, while hashing them', async () => {
        const bytes = randomBytes(9 * CHUNK + 99);
        const pass = await pool.open(await file('consumed', bytes), { consume: true });
        const copies: Buffer[] = [];
        for await (const chunk of pass.chunks) {
            copies.push(Buffer.from(chunk)); // a chunk is only valid until the next is requested
            await new Promise((resolve) => setTimeout(resolve, 1)); // a slow uploader: backpressure
        }
        expect(Buffer.concat(copies).equals(bytes)).toBe(true);
        expect(await pass.checksum).toBe(sha256(bytes));
    });

    it('hashes many files in parallel on all threads', async () => {
        const bodies = Array.from({ length: 12 }, (_, i) => randomBytes(3 * CHUNK + i * 1000));
        const paths = await Promise.all(bodies.map((bytes, i) => file(`parallel-${i}`, bytes)));
        const before = pool.stats.filesRead;
        const results = await Promise.all(paths.map((path) => pool.hash(path)));
        expect(results.map((r) => r.checksum)).toEqual(bodies.map(sha256));
        expect(pool.stats.filesRead - before).toBe(12);
    });

    it('reports a missing file as NOT_FOUND and a directory as INVALID_ARGUMENT', async () => {
        expect(isTrackerError(await rejection(pool.hash(join(dir, 'nope'))), 'NOT_FOUND')).toBe(true);
        expect(isTrackerError(await rejection(pool.hash(dir)), 'INVALID_ARGUMENT')).toBe(true);
    });

    it('aborts a running pass and stays usable', async () => {
        const bytes = randomBytes(8 * CHUNK);
        const controller = new AbortController();
        const pass = await pool.open(await file('aborted', bytes), { consume: true, signal: controller.signal });
        const iterator = pass.chunks[Symbol.asyncIterator]();
        await iterator.next();
        controller.abort();
        expect(isTrackerError(await rejection(iterator.next()), 'ABORTED')).toBe(true);
        expect(isTrackerError(await rejection(pass.result), 'ABORTED')).toBe(true);
        // The worker was told to stop, not killed: the pool still hashes.
        const again = randomBytes(CHUNK * 3);
        expect((await pool.hash(await file('after-abort', again))).checksum).toBe(sha256(again));
    });

    it('bounds its queue and lets a queued file be aborted', async () => {
        const small = createHashPool({ threads: 1, maxQueue: 1, chunkSize: CHUNK, slots: 2 });
        await small.ready();
        try {
            const path = await file('queue', randomBytes(8 * CHUNK));
            const holder = await small.open(path, { consume: true }); // not consumed yet: holds the only thread
            const controller = new AbortController();
            const queued = small.open(path, { signal: controller.signal });
            // Its open and stat run before it queues for the thread: only once it waits there is
            // the queue full. (Without this, the next open could queue first and wait forever.)
            while (small.waiting < 1) await new Promise((resolve) => setTimeout(resolve, 1));
            const overflow = await rejection(small.open(path));
            expect(isTrackerError(overflow, 'INTERNAL')).toBe(true);
            expect(String((overflow as Error).message)).toMatch(/queue is full/);
            controller.abort();
            expect(isTrackerError(await rejection(queued), 'ABORTED')).toBe(true);
            holder.releaseConsumer();
            expect((await holder.result).size).toBe(8 * CHUNK);
        } finally {
            await small.close();
        }
    });

    it('close() lets running and queued files finish, then refuses new ones', async () => {
        const small = createHashPool({ threads: 1, chunkSize: CHUNK, slots: 2 });
        const bytes = randomBytes(20 * CHUNK);
        const path = await file('drain', bytes);
        const first = small.hash(path);
        const second = small.hash(path);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await small.close();
        expect((await first).checksum).toBe(sha256(bytes));
        expect((await second).checksum).toBe(sha256(bytes));
        expect(isTrackerError(await rejection(small.hash(path)), 'INTERNAL')).toBe(true);
    });
});

describe('files that change while read', () => {
    async function slowPass(name: string, change: (path: string) => Promise<void>): Promise<unknown> {
        const path = await file(name, randomBytes(10 * CHUNK));
        const pass = await pool.open(path, { consume: true });
        let chunks = 0;
        const consumed = (async () => {
            for await (const _ of pass.chunks) {
                if (++chunks === 2) await change(path);
            }
        })();
        const [outcome] = await Promise.allSettled([pass.result, consumed]);
        return outcome.status === 'rejected' ? outcome.reason : outcome.value;
    }

    it('refuses a file appended to while read', async () => {
        const error = await slowPass('grows', (path) => appendFile(path, 'more'));
        expect(isTrackerError(error, 'FILE_CHANGED')).toBe(true);
    });

    it('refuses a file rewritten in place (same size) while read', async () => {
        const error = await slowPass('rewritten', async (path) => {
            const { open } = await import('node:fs/promises');
            const handle = await open(path, 'r+');
            await handle.write(Buffer.from('X'), 0, 1, 0);
            await handle.close();
        });
        expect(isTrackerError(error, 'FILE_CHANGED')).toBe(true);
    });

    it('refuses a file replaced by rename while read', async () => {
        const error = await slowPass('replaced', async (path) => {
            await writeFile(`${path}.new`, randomBytes(10 * CHUNK));
            await rename(`${path}.new`, path);
        });
        expect(isTrackerError(error, 'FILE_CHANGED')).toBe(true);
    });
});
