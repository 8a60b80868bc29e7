/**
 * Ingest: a file goes into an ObjectStore in one read pass, hashed in a worker thread while it
 * uploads (FIVER-style). The store gets the checksum as a promise that resolves only once every
 * byte is hashed and the file proved unchanged, so it never publishes bytes that do not match the
 * checksum we return. This is also the storage boundary of the pipeline: StoreErrors become
 * TrackerErrors here.
 */

import { stat } from 'node:fs/promises';
import type { ObjectStore, PutResult } from '@hyperprov/storage';
import { TrackerError, isTrackerError } from '@hyperprov/errors';
import { identityOf, type FileIdentity } from '../hashing/file-identity.js';
import type { FilePass } from '../hashing/file-pass.js';
import type { HashCache } from '../hashing/hash-cache.js';
import type { HashPool } from '../hashing/hash-pool.js';
import { fromStoreError } from '../stores/store-errors.js';

export { hashFile, type HashFileOptions, type HashFileResult } from '../hashing/hash-file.js';

/** Options of {@link ingestFile}. */
export interface IngestOptions {
    pool: HashPool;
    /** Skips hashing (and, if the store has the bytes, reading) for file versions hashed before. */
    cache?: HashCache;
    signal?: AbortSignal;
    /** Bytes stored so far. */
    onProgress?: (bytes: number) => void;
    /** How often to start over when the file changes while it is read (default 0: refuse at once). */
    retries?: number;
}

/** Where the bytes went, and their checksum. */
export interface IngestResult {
    /** `sha256:<hex>` of exactly the stored bytes. */
    checksum: string;
    size: number;
    /** Object name in the store (the record's `pointer`). */
    pointer: string;
    /** The store's URL (the record's `location`). */
    location: string;
    /** True when the store already held these bytes. */
    skipped: boolean;
    /** True when the store held a damaged copy of these bytes and replaced it with them. */
    repaired: boolean;
    /** True when the checksum came from the hash cache. */
    cached: boolean;
}

/**
 * Streams `path` into `store` once, hashing it on the way. Rejects with FILE_CHANGED if the file
 * changes while it is read (nothing is stored), NOT_FOUND / INVALID_ARGUMENT for a missing or
 * unreadable file, ABORTED, or the store's error translated (STORE_UNAVAILABLE, CHECKSUM_MISMATCH…).
 */
export async function ingestFile(path: string, store: ObjectStore, options: IngestOptions): Promise<IngestResult> {
    const retries = Math.max(0, options.retries ?? 0);
    for (let attempt = 0; ; attempt++) {
        try {
            return await ingestOnce(path, store, options);
        } catch (error) {
            if (!isTrackerError(error, 'FILE_CHANGED') || attempt >= retries) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
        }
    }
}

async function ingestOnce(path: string, store: ObjectStore, options: IngestOptions): Promise<IngestResult> {
    const { pool, cache, signal, onProgress } = options;
    if (signal?.aborted) throw new TrackerError('ABORTED', `ingesting ${path} was aborted`, { cause: signal.reason });
    if (cache !== undefined) {
        const identity = await currentIdentity(path);
        const cached = identity && cache.get(identity);
        if (identity !== undefined && cached !== undefined) return ingestCached(path, store, options, identity, cached);
    }

    const started = Date.now();
    const pass = await pool.open(path, { consume: true, ...(signal && { signal }) });
    const put = await putPass(path, store, pass, () =>
        store.put(pass.chunks, {
            checksum: pass.checksum,
            size: pass.size,
            ...(signal && { signal }),
            ...(onProgress && { onProgress }),
        }),
    );
    const hashed = await pass.result;
    if (put.checksum !== hashed.checksum || put.size !== hashed.size) {
        throw new TrackerError(
            'INTERNAL',
            `the store ${store.location} reported ${put.checksum} (${put.size} bytes) for ${path}, which hashed to ${hashed.checksum} (${hashed.size} bytes); the store is faulty`,
        );
    }
    await cache?.set(hashed.identity, hashed.checksum, started);
    return {
        checksum: hashed.checksum,
        size: hashed.size,
        pointer: put.pointer,
        location: store.location,
        skipped: put.skipped,
        repaired: put.repaired ?? false,
        cached: false,
    };
}

/**
 * A cached file version: the store gets the checksum up front and may skip without reading a
 * byte of the file (it checks its own copy: size, and content up to VERIFY_EXISTING_UP_TO). If it
 * lacks the object it reads the body, which only then opens a read pass (so the
 * cached checksum is re-checked by the hasher as well as by the store).
 */
async function ingestCached(
    path: string,
    store: ObjectStore,
    options: IngestOptions,
    identity: FileIdentity,
    checksum: string,
): Promise<IngestResult> {
    const { pool, signal, onProgress } = options;
    let pass: FilePass | undefined;
    async function* body(): AsyncGenerator<Uint8Array> {
        pass = await pool.open(path, { consume: true, ...(signal && { signal }) });
        yield* pass.chunks;
    }
    const size = Number(identity.size);
    const put = await putPass(path, store, () => pass, () =>
        store.put(body(), { checksum, size, ...(signal && { signal }), ...(onProgress && { onProgress }) }),
    );
    const opened = pass as FilePass | undefined;
    if (opened !== undefined) {
        const hashed = await opened.result;
        if (hashed.checksum !== checksum) {
            throw new TrackerError('CHECKSUM_MISMATCH', `${path} no longer matches its cached checksum; delete the hash cache (the project's .hyperprov/cache) and retry`);
        }
    }
    return { checksum, size: put.size, pointer: put.pointer, location: store.location, skipped: put.skipped, repaired: put.repaired ?? false, cached: true };
}

/**
 * Runs the put; on failure prefers the pass's own error (FILE_CHANGED, a read error) over the
 * store's, since the store only saw its body fail or its checksum withdrawn.
 */
async function putPass(
    path: string,
    store: ObjectStore,
    pass: FilePass | (() => FilePass | undefined),
    put: () => Promise<PutResult>,
): Promise<PutResult> {
    const current = (): FilePass | undefined => (typeof pass === 'function' ? pass() : pass);
    try {
        return await put();
    } catch (error) {
        const running = current();
        if (running !== undefined) {
            running.abort();
            const passError = await running.result.then(
                () => undefined,
                (e: unknown) => e,
            );
            if (isTrackerError(passError) && passError.code !== 'ABORTED') throw passError;
        }
        throw fromStoreError(error, `storing ${path} in ${store.location}`);
    } finally {
        // The store is done with the body (success or not): let the pass finish hashing alone.
        current()?.releaseConsumer();
    }
}

async function currentIdentity(path: string): Promise<FileIdentity | undefined> {
    try {
        const info = await stat(path, { bigint: true });
        return info.isFile() ? identityOf(info) : undefined;
    } catch {
        return undefined; // the read pass reports missing or unreadable files with the right code
    }
}
