/** Hashing a file through the cache: the read-only path used by verify and dataset manifests. */

import { stat } from 'node:fs/promises';
import { TrackerError } from '@hyperprov/errors';
import { identityOf } from './file-identity.js';
import type { HashCache } from './hash-cache.js';
import type { FileHash } from './file-pass.js';
import type { HashPool } from './hash-pool.js';

/** Options of {@link hashFile}. */
export interface HashFileOptions {
    pool: HashPool;
    cache?: HashCache;
    signal?: AbortSignal;
}

/** A file's checksum, and whether it came from the cache. */
export interface HashFileResult extends FileHash {
    cached: boolean;
}

/**
 * `sha256` of a file: from the cache if this exact version (dev, ino, size, mtime) was hashed
 * before, else read once through the pool (and cached). FILE_CHANGED if it changes while read.
 */
export async function hashFile(path: string, options: HashFileOptions): Promise<HashFileResult> {
    const { pool, cache, signal } = options;
    if (cache !== undefined) {
        let info;
        try {
            info = await stat(path, { bigint: true });
        } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === 'ENOENT' || code === 'ENOTDIR') {
                throw new TrackerError('NOT_FOUND', `file ${path} does not exist; check the path`, { cause: error });
            }
            throw new TrackerError('INVALID_ARGUMENT', `cannot stat ${path}: ${(error as Error).message}`, { cause: error });
        }
        if (info.isFile()) {
            const identity = identityOf(info);
            const cached = cache.get(identity);
            if (cached !== undefined) return { checksum: cached, size: Number(identity.size), identity, cached: true };
        }
    }
    const started = Date.now();
    const result = await pool.hash(path, signal ? { signal } : {});
    await cache?.set(result.identity, result.checksum, started);
    return { ...result, cached: false };
}
