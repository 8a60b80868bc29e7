/**
 * Fetching recorded bytes to a file: stream from the store through SHA-256 into a temp file in
 * the destination directory, and only when checksum and size match the record publish it under
 * its name. On a mismatch (or any failure) the temp file is removed: nothing is written.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ObjectStore } from '@hyperprov/storage';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { TrackerError } from '@hyperprov/errors';
import { fromStoreError } from '../stores/store-errors.js';

/** Options of {@link fetchRecordBytes}. */
export interface FetchOptions {
    /** Replace an existing file at the destination. */
    force?: boolean;
    signal?: AbortSignal;
}

/** What {@link fetchRecordBytes} wrote. */
export interface FetchResult {
    record: ProvenanceRecord;
    /** Absolute path of the file written. */
    path: string;
    bytes: number;
}

/**
 * Writes the bytes of `record` from `store` to `out` (a file path, or an existing directory to
 * write into under the key's last segment). Throws CHECKSUM_MISMATCH, writing nothing, when the
 * stored bytes are not the recorded ones; ALREADY_EXISTS when `out` exists and `force` is not set.
 */
export async function fetchRecordBytes(record: ProvenanceRecord, store: ObjectStore, out: string, options: FetchOptions = {}): Promise<FetchResult> {
    const target = await destination(record, out);
    if (!options.force && (await exists(target))) {
        throw new TrackerError('ALREADY_EXISTS', `${target} already exists; choose another path or pass --force to replace it`);
    }
    // The temp file goes in the target's directory, or its nearest existing ancestor: same
    // filesystem, so publishing is an atomic rename, and missing directories are created only
    // once the bytes proved right (a mismatch leaves no trace at all).
    const tmpDir = await nearestExistingDir(path.dirname(target));
    const tmp = path.join(tmpDir, `.${path.basename(target)}.hyperprov-${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(tmp, 'wx', 0o644);
    let published = false;
    try {
        let body: Readable;
        try {
            body = await store.get(record.pointer, options.signal ? { signal: options.signal } : {});
        } catch (error) {
            throw fromStoreError(error, `object ${record.pointer} of record ${record.id} in ${record.location}`);
        }
        const hash = createHash('sha256');
        let bytes = 0;
        try {
            // One chunk in flight at a time: awaiting each write is the backpressure, memory stays
            // at one store chunk.
            for await (const chunk of body as AsyncIterable<Buffer>) {
                options.signal?.throwIfAborted();
                // The write runs on libuv's thread pool while this thread hashes the same chunk.
                const written = writeAll(handle, chunk);
                hash.update(chunk);
                bytes += chunk.length;
                await written;
            }
        } catch (error) {
            body.destroy();
            throw fromStoreError(error, `reading ${record.pointer} from ${record.location}`);
        }
        const actual = `sha256:${hash.digest('hex')}`;
        if (actual !== record.checksum || bytes !== record.size) {
            throw new TrackerError(
                'CHECKSUM_MISMATCH',
                `the stored bytes of ${record.key} (record ${record.id}, ${record.location} ${record.pointer}) are ` +
                    `${actual} (${bytes} bytes) but the record says ${record.checksum} (${record.size} bytes); nothing was written to ${target}`,
            );
        }
        await handle.sync();
        await handle.close();
        if (tmpDir !== path.dirname(target)) await mkdir(path.dirname(target), { recursive: true });
        if (options.force) {
            await rename(tmp, target);
        } else {
            // link() refuses to replace a file that appeared since the check above.
            try {
                await link(tmp, target);
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
                    throw new TrackerError('ALREADY_EXISTS', `${target} already exists; choose another path or pass --force`, { cause: error });
                }
                throw error;
            }
            await unlink(tmp);
        }
        published = true;
        await syncDirectory(path.dirname(target));
        return { record, path: target, bytes };
    } finally {
        if (!published) {
            await handle.close().catch(() => undefined);
            await rm(tmp, { force: true });
        }
    }
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
    }
}

async function destination(record: ProvenanceRecord, out: string): Promise<string> {
    const resolved = path.resolve(out);
    try {
        if ((await stat(resolved)).isDirectory()) return path.join(resolved, record.key.split('/').pop() ?? record.key);
    } catch {
        // Missing: `out` names the file to create.
    }
    return resolved;
}

async function nearestExistingDir(dir: string): Promise<string> {
    for (let current = dir; ; current = path.dirname(current)) {
        try {
            if ((await stat(current)).isDirectory()) return current;
            throw new TrackerError('INVALID_ARGUMENT', `${current} is a file, so ${dir} cannot be created; choose another output path`);
        } catch (error) {
            if (error instanceof TrackerError) throw error;
            if (path.dirname(current) === current) throw error;
        }
    }
}

async function exists(file: string): Promise<boolean> {
    try {
        await stat(file);
        return true;
    } catch {
        return false;
    }
}

async function syncDirectory(dir: string): Promise<void> {
    const handle = await open(dir, 'r');
    try {
        await handle.sync();
    } finally {
        await handle.close();
    }
}
