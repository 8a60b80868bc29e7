/**
 * Ingest of a file the tracker owns and deletes afterwards (an epoch's snapshot in the outbox).
 * When the store can adopt it (the local store on the same file system), the file is hashed in
 * the worker pool, reading the page cache its copy just filled, and becomes the object itself:
 * its bytes are not written a second time. Any other store gets the ordinary one-pass ingest.
 */
import { stat } from 'node:fs/promises';
import type { ObjectStore } from '@hyperprov/storage';
import { TrackerError } from '@hyperprov/errors';
import { identityOf, sameIdentity } from '../hashing/file-identity.js';
import { ingestFile, type IngestOptions, type IngestResult } from './ingest.js';
import { fromStoreError } from '../stores/store-errors.js';

export async function ingestOwnedFile(path: string, store: ObjectStore, options: IngestOptions): Promise<IngestResult> {
    // A store on another file system is asked first: hashing for an adopt that cannot happen
    // would read the file twice (the hash, then the put's own pass).
    // (A failed question is no answer: adopt then finds and reports the problem itself.)
    if (store.adopt === undefined || (store.canAdopt !== undefined && !(await store.canAdopt(path).catch(() => true)))) return ingestFile(path, store, options);
    const { pool, signal } = options;
    // Workers up first: a cold pool hashes on this thread, which in a trainer is the training loop.
    await pool.ready().catch(() => undefined);
    const hashed = await pool.hash(path, signal ? { signal } : {});
    // The store takes the hash on trust (it would read the bytes again otherwise), so the file must
    // still be the version that was hashed.
    if (!sameIdentity(identityOf(await stat(path, { bigint: true })), hashed.identity)) {
        throw new TrackerError('FILE_CHANGED', `${path} was written to while it was hashed, so it no longer holds the bytes it was taken with; nothing but the tracker may write there`);
    }
    let adopted;
    try {
        adopted = await store.adopt(path, { checksum: hashed.checksum, size: hashed.size, ...(signal && { signal }) });
    } catch (error) {
        throw fromStoreError(error, `storing ${path} in ${store.location}`);
    }
    if (adopted === undefined) return ingestFile(path, store, options);
    return {
        checksum: adopted.checksum,
        size: adopted.size,
        pointer: adopted.pointer,
        location: store.location,
        skipped: adopted.skipped,
        repaired: adopted.repaired ?? false,
        cached: false,
    };
}
