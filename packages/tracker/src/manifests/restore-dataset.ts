/**
 * Getting a recorded dataset back ("give me exactly the data of run N"): every file of an uploaded
 * dataset record is streamed from the store through SHA-256 into a staging directory beside the
 * target, and only when every file matched its manifest entry is the staging directory renamed to
 * the target. On any failure the staging directory is removed: the target never holds a partial
 * or wrong dataset.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import type { ObjectStore } from '@hyperprov/storage';
import { fsyncDirectory } from '@hyperprov/storage';
import { TrackerError } from '@hyperprov/errors';
import { fromStoreError } from '../stores/store-errors.js';
import { readDatasetObjects } from './dataset-objects.js';
import type { ManifestEntry } from './manifest.js';
import { readManifest } from './parse-manifest.js';

/** Options of {@link restoreDataset}. */
export interface RestoreDatasetOptions {
    /** Files fetched at once (default 4). */
    concurrency?: number;
    signal?: AbortSignal;
    /** Called after each file is written and verified. */
    onProgress?: (progress: { done: number; total: number; bytes: number; path: string }) => void;
}

/** What {@link restoreDataset} wrote. */
export interface RestoreDatasetResult {
    /** Absolute path of the restored dataset. */
    dir: string;
    files: number;
    bytes: number;
}

/**
 * Writes the files of dataset record `record` (recorded with upload) from `store` into `outDir`,
 * which must not exist yet. Throws ALREADY_EXISTS if it does, NOT_FOUND if the record has no
 * uploaded files or the store lost one, CHECKSUM_MISMATCH if stored bytes are not the recorded
 * ones (nothing is written then), ABORTED on `signal`.
 */
export async function restoreDataset(record: ProvenanceRecord, store: ObjectStore, outDir: string, options: RestoreDatasetOptions = {}): Promise<RestoreDatasetResult> {
    const { signal } = options;
    const concurrency = options.concurrency ?? 4;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new TrackerError('INVALID_ARGUMENT', `concurrency ${concurrency} is invalid; give a whole number of at least 1`);
    const target = path.resolve(outDir);
    await mustNotExist(target);
    const get = signal ? { signal } : {};
    const manifest = await readManifest(record, store, get);
    const pointers = await readDatasetObjects(record, store, get);
    for (const entry of manifest.entries) {
        if (!pointers.has(entry.sha256)) {
            throw new TrackerError('CHECKSUM_MISMATCH', `the object index of record ${record.id} has no object for ${entry.path}; the upload was incomplete — record the dataset again with --upload`);
        }
    }

    const staging = path.join(path.dirname(target), `.${path.basename(target)}.hyperprov-restore-${randomBytes(6).toString('hex')}`);
    await mkdir(staging, { recursive: false }).catch((error: unknown) => {
        throw new TrackerError('INVALID_ARGUMENT', `cannot create ${staging}: ${(error as Error).message}; check that ${path.dirname(target)} exists and is writable`, { cause: error });
    });
    const controller = new AbortController();
    setMaxListeners(2 * concurrency + 10, controller.signal);
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let published = false;
    try {
        const dirs = new Set<string>([staging]);
        for (const entry of manifest.entries) {
            for (let dir = path.dirname(path.join(staging, entry.path)); dir.length > staging.length; dir = path.dirname(dir)) dirs.add(dir);
        }
        // Parents before children: sorted by length is enough for a tree.
        for (const dir of [...dirs].sort((a, b) => a.length - b.length)) if (dir !== staging) await mkdir(dir);

        let next = 0;
        let done = 0;
        let bytes = 0;
        const worker = async (): Promise<void> => {
            while (next < manifest.entries.length && !controller.signal.aborted) {
                const entry = manifest.entries[next++]!;
                await restoreFile(store, pointers.get(entry.sha256)!, entry, staging, record, controller.signal);
                done++;
                bytes += entry.size;
                options.onProgress?.({ done, total: manifest.count, bytes, path: entry.path });
            }
        };
        const workers = Array.from({ length: Math.min(concurrency, Math.max(1, manifest.count)) }, () =>
            worker().catch((error: unknown) => {
                controller.abort(error);
                throw error;
            }),
        );
        const outcomes = await Promise.allSettled(workers);
        if (signal?.aborted) throw new TrackerError('ABORTED', `restoring ${record.key} was aborted; nothing was written to ${target}`, { cause: signal.reason });
        const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
        if (failed) throw failed.reason;

        for (const dir of dirs) await fsyncDirectory(dir);
        await mustNotExist(target);
        await rename(staging, target);
        published = true;
        await fsyncDirectory(path.dirname(target));
        return { dir: target, files: manifest.count, bytes };
    } finally {
        signal?.removeEventListener('abort', onAbort);
        if (!published) await rm(staging, { recursive: true, force: true });
    }
}

async function restoreFile(store: ObjectStore, pointer: string, entry: ManifestEntry, staging: string, record: ProvenanceRecord, signal: AbortSignal): Promise<void> {
    const what = `${entry.path} (object ${pointer} in ${store.location})`;
    const hash = createHash('sha256');
    let size = 0;
    const handle = await open(path.join(staging, entry.path), 'wx', 0o644);
    try {
        let body: Readable;
        try {
            body = await store.get(pointer, { signal });
            for await (const chunk of body as AsyncIterable<Buffer>) {
                size += chunk.length;
                if (size > entry.size) break;
                hash.update(chunk);
                try {
                    // write() may write less than asked; loop until the chunk is down.
                    for (let offset = 0; offset < chunk.length; ) offset += (await handle.write(chunk, offset)).bytesWritten;
                } catch (error) {
                    throw new TrackerError('INVALID_ARGUMENT', `cannot write ${path.join(staging, entry.path)}: ${(error as Error).message}; check free space and permissions`, { cause: error });
                }
            }
        } catch (error) {
            throw fromStoreError(error, `reading ${what}`);
        }
        if (size !== entry.size || hash.digest('hex') !== entry.sha256) {
            throw new TrackerError('CHECKSUM_MISMATCH', `the stored bytes of ${what} are not the ones recorded in ${record.id}; nothing was restored`);
        }
        await handle.sync();
    } finally {
        await handle.close();
    }
}

async function mustNotExist(target: string): Promise<void> {
    try {
        await lstat(target);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw new TrackerError('INVALID_ARGUMENT', `cannot check ${target}: ${(error as Error).message}`, { cause: error });
    }
    throw new TrackerError('ALREADY_EXISTS', `${target} already exists; restore into a new directory`);
}
