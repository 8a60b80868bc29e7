/**
 * Fetching recorded bytes to a file: stream from the store through SHA-256 into a temp file in
 * the destination directory, and only when checksum and size match the record publish it under
 * its name. On a mismatch (or any failure) the temp file is removed: nothing is written.
 *
 * Only regular files are ever replaced (with `force`). Publishing is a rename, which replaces the
 * directory entry, not what it points to: onto `/dev/null` it would swap the device for a file,
 * onto a symbolic link it would replace the link, not its target. So whatever sits at the
 * destination is checked with lstat first, and anything but a regular file is refused — FIFOs,
 * devices, sockets, directories and symbolic links alike (a link is refused even when it points
 * at a regular file: writing through it would surprise as much as replacing it). A symbolic link
 * to a directory given as `out` is fine: that directory is where the file goes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
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
 * stored bytes are not the recorded ones; ALREADY_EXISTS when `out` exists and `force` is not set;
 * INVALID_ARGUMENT for an empty `out`, a destination that is not a regular file (see above), or
 * a directory that cannot be written.
 */
export async function fetchRecordBytes(record: ProvenanceRecord, store: ObjectStore, out: string, options: FetchOptions = {}): Promise<FetchResult> {
    if (out === '') {
        // path.resolve('') is the working directory: an empty argument (an unset shell variable)
        // would silently write ./<name>.
        throw new TrackerError('INVALID_ARGUMENT', 'the output path is empty; give the file to write, or a directory to write into (`.` for this one)');
    }
    const target = await destination(record, out);
    await checkDestination(target, options.force ?? false);
    // The temp file goes in the target's directory, or its nearest existing ancestor: same
    // filesystem, so publishing is an atomic rename, and missing directories are created only
    // once the bytes proved right (a mismatch leaves no trace at all).
    const tmpDir = await nearestExistingDir(path.dirname(target));
    const tmp = path.join(tmpDir, `.${path.basename(target)}.hyperprov-${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(tmp, 'wx', 0o644).catch((error: unknown) => {
        throw unwritable(error, tmpDir);
    });
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
        if (tmpDir !== path.dirname(target)) {
            await mkdir(path.dirname(target), { recursive: true }).catch((error: unknown) => {
                throw unwritable(error, path.dirname(target));
            });
        }
        if (options.force) {
            // Checked again right before the rename: the download may have taken a while.
            await checkDestination(target, true);
            await rename(tmp, target).catch((error: unknown) => {
                throw unwritable(error, path.dirname(target));
            });
        } else {
            // link() refuses to replace a file that appeared since the check above.
            try {
                await link(tmp, target);
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
                    await checkDestination(target, true);
                    throw new TrackerError('ALREADY_EXISTS', `${target} already exists; choose another path or pass --force`, { cause: error });
                }
                throw unwritable(error, path.dirname(target));
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

/**
 * Refuses a destination that is neither absent nor a regular file, and an existing regular file
 * unless `force`.
 */
async function checkDestination(target: string, force: boolean): Promise<void> {
    let info;
    try {
        info = await lstat(target);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Absent, or a parent is missing or a file (nearestExistingDir reports that one).
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw unwritable(error, path.dirname(target));
    }
    if (info.isFile()) {
        if (force) return;
        throw new TrackerError('ALREADY_EXISTS', `${target} already exists; choose another path or pass --force to replace it`);
    }
    if (info.isSymbolicLink()) {
        throw new TrackerError(
            'INVALID_ARGUMENT',
            `${target} is a symbolic link; fetch neither writes through links nor replaces them: give the path of the file itself, or remove the link first`,
        );
    }
    if (info.isDirectory()) {
        throw new TrackerError('INVALID_ARGUMENT', `${target} is a directory; fetch writes a file: give a file path, or remove that directory first`);
    }
    const kind = info.isFIFO() ? 'a FIFO' : info.isCharacterDevice() ? 'a character device' : info.isBlockDevice() ? 'a block device' : info.isSocket() ? 'a socket' : 'not a regular file';
    throw new TrackerError(
        'INVALID_ARGUMENT',
        `${target} is ${kind}; fetch only writes regular files and never replaces special files, even with --force: choose another path`,
    );
}

/** A filesystem refusal to write in `dir` becomes a usage error naming the directory; anything else is kept. */
function unwritable(error: unknown, dir: string): unknown {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const reasons: Record<string, string> = { EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system' };
    const reason = code !== undefined ? reasons[code] : undefined;
    if (reason === undefined) return error;
    return new TrackerError('INVALID_ARGUMENT', `cannot write into ${dir} (${reason}); choose a directory you can write to, or fix its permissions`, {
        cause: error,
    });
}

async function syncDirectory(dir: string): Promise<void> {
    const handle = await open(dir, 'r');
    try {
        await handle.sync();
    } finally {
        await handle.close();
    }
}
