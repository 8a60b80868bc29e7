/**
 * How one dataset file becomes a manifest entry: hashed through the shared worker pool and the
 * hash cache (hashing/), never by code of our own. Kept in one place so the scan does not care
 * whether a file is only hashed or also uploaded.
 */
import { hashFile, type HashCache, type HashPool } from '../hashing/index.js';
import { TrackerError, isTrackerError } from '@hyperprov/errors';

/** The hashing resources a scan uses; both are owned (and closed) by the caller. */
export interface HashResources {
    /** The worker pool that reads and hashes files. */
    pool: HashPool;
    /**
     * The hash cache: files whose (device, inode, size, mtime) are in it are not read again.
     * Leave it out to re-read every byte (what `verify --against` should do).
     */
    cache?: HashCache;
}

/** Checksum and size of one dataset file, and whether the cache answered. */
export interface HashedFile {
    checksum: string;
    size: number;
    cached: boolean;
}

/** Hashes `file` (absolute); `relative` names it in errors. */
export async function hashDatasetFile(file: string, relative: string, resources: HashResources, signal: AbortSignal): Promise<HashedFile> {
    try {
        const result = await hashFile(file, { pool: resources.pool, ...(resources.cache && { cache: resources.cache }), signal });
        return { checksum: result.checksum, size: result.size, cached: result.cached };
    } catch (error) {
        throw datasetFileError(error, file, relative);
    }
}

/** A file listed by the walk that is gone when read means the dataset is being written to. */
export function datasetFileError(error: unknown, file: string, relative: string): unknown {
    if (isTrackerError(error, 'NOT_FOUND')) {
        return new TrackerError('FILE_CHANGED', `${relative} disappeared while the dataset was scanned (${file}); re-run when nothing is writing to it`, {
            cause: error,
        });
    }
    return error;
}
