/**
 * Integration: a 512 MiB file through real worker threads into a real local store, with memory
 * watched. The file is sparse (no disk for the source), the store copy is real and removed after.
 */
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalStore } from '@hyperprov/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashPool } from '../hashing/hash-pool.js';
import { ingestFile } from './ingest.js';

const SIZE = 512 * 1024 * 1024;
// sha256 of 512 MiB of zero bytes.
const ZEROS_512MIB = 'sha256:9acca8e8c22201155389f65abbf6bc9723edc7384ead80503839f49dcc56d767';

let dir: string;
beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hyperprov-ingest-int-'));
});
afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
});

describe('ingest memory', () => {
    it('ingests a 512 MiB file with bounded memory', { timeout: 120_000 }, async () => {
        const path = join(dir, 'big.bin');
        await writeFile(path, '');
        await truncate(path, SIZE);
        const pool = createHashPool();
        const store = createLocalStore({ root: join(dir, 'store') });
        try {
            const warm = join(dir, 'warm.bin');
            await writeFile(warm, 'warm up the threads and the first ring');
            await pool.hash(warm);
            globalThis.gc?.();
            const baseline = process.memoryUsage.rss();
            let peak = baseline;
            const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
            const result = await ingestFile(path, store, { pool });
            clearInterval(sampler);
            peak = Math.max(peak, process.memoryUsage.rss());
            expect(result.size).toBe(SIZE);
            expect(result.checksum).toBe(ZEROS_512MIB);
            const growthMb = (peak - baseline) / 1e6;
            expect(growthMb, `RSS grew by ${growthMb.toFixed(1)} MB`).toBeLessThan(100);
        } finally {
            await store.close();
            await pool.close();
        }
    });
});
