/**
 * The local-directory ObjectStore: content-addressed files under a root directory.
 *
 * Layout: `<root>/sha256/ab/cdef…` (pointer = that relative path), temp files in `<root>/.tmp/`
 * (same filesystem, so publishing is an atomic link). A put writes the temp file, fsyncs it, makes
 * it read-only, waits for the checksum, then hard-links it to its final name (no-replace, so a
 * concurrent put of the same bytes is detected as a skip) and fsyncs the directory. Until then
 * nothing is visible; on any failure the temp file is removed.
 *
 * An object already under the content address is never trusted on its name alone: a disk error
 * or a stray write may have changed it since. Before a put is skipped, the existing object's size
 * and bytes are checked (reading a local file costs less than the upload it saves, and far less
 * than recording damaged bytes as good); a damaged one is replaced by renaming the verified temp
 * file over it, which is atomic: readers see the old inode or the new one, never a mix.
 */

import { InFlight } from './in-flight.js';
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, link, lstat, open, readdir, rename, rm, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { discardBody, readBody, watchInterruption, type PutBody } from './body.js';
import { assertChecksum } from './checksum.js';
import { fsyncDirectory, mkdirDurable, removeStaleTempFiles, tempFileName } from './durable-fs.js';
import { StoreError } from './errors.js';
import { errnoCode, toStoreError } from './fs-errors.js';
import type { AdoptOptions, GetOptions, ObjectInfo, ObjectStore, PutOptions, PutResult } from './object-store.js';
import { VERIFY_EXISTING_UP_TO } from './object-store.js';

/** Options of {@link createLocalStore}. */
export interface LocalStoreOptions {
    /** Directory holding the objects; created if missing. */
    root: string;
    /** Read-stream chunk size for `get` (default 1 MiB: small chunks slow hashing down). */
    readChunkSize?: number;
    /**
     * An object already stored under a put's checksum is re-hashed before it is trusted only up
     * to this size; larger ones are checked by size alone (default {@link VERIFY_EXISTING_UP_TO},
     * as the S3 store does).
     */
    verifyExistingUpTo?: number;
    /**
     * Start flushing a put to disk (datasync, not awaited) every this many bytes, so the closing
     * fsync overlaps the transfer instead of following it. Default 8 MiB; 0 flushes only at the end.
     */
    flushEvery?: number;
    /**
     * URL the store reports as its `location` (what records carry), default `file:///<abs root>`.
     * A project passes its project-relative URL (`file:.hyperprov/objects`) here, so its records
     * stay valid when the project directory is renamed or moved.
     */
    location?: string;
    /**
     * Mode of stored objects (default 0440: read-only, never world-readable, whatever the source
     * file's mode — one object serves every file with those bytes). Write bits are always dropped.
     */
    fileMode?: number;
    /** Mode of the directories the store creates (default 0750, less the umask). */
    dirMode?: number;
    /**
     * Narrow an existing root directory (and its `sha256/` and `.tmp/`) to `dirMode` when it
     * allows more, on open (best effort: only the owner can). For a store the caller owns, such as
     * a project's own: one made by an older version (0755 folders, 0444 objects) stops being
     * readable by everyone. Default false: a store shared on purpose keeps its permissions.
     */
    narrowRoot?: boolean;
}

/** link() errors that mean "no second name here" (another file system, no hard links on it): put instead. */
const CANNOT_LINK = new Set(['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

const POINTER_PATTERN = /^sha256\/[0-9a-f]{2}\/[0-9a-f]{62}$/;
const OBJECTS_DIR = 'sha256';
const TEMP_DIR = '.tmp';

/** The pointer (relative path) of the object with checksum `sha256:<hex>`. */
export function localPointerFor(checksum: string): string {
    const hex = checksum.slice('sha256:'.length);
    return `${OBJECTS_DIR}/${hex.slice(0, 2)}/${hex.slice(2)}`;
}

/**
 * Opens a content-addressed store in a local directory. Its `location` is `file:///<abs root>`
 * unless `options.location` says otherwise.
 * Stale temp files of dead writers are removed when the store is first used.
 */
export function createLocalStore(options: LocalStoreOptions): ObjectStore {
    if (typeof options?.root !== 'string' || options.root === '') {
        throw new StoreError('INVALID_ARGUMENT', 'createLocalStore needs { root: <directory> }');
    }
    const root = resolve(options.root);
    return new LocalStore(root, options.location ?? pathToFileURL(root).href, options.readChunkSize ?? 1 << 20, options.flushEvery ?? 8 << 20, {
        file: (options.fileMode ?? 0o440) & 0o555,
        dir: options.dirMode ?? 0o750,
        narrowRoot: options.narrowRoot ?? false,
    }, options.verifyExistingUpTo ?? VERIFY_EXISTING_UP_TO);
}

class LocalStore implements ObjectStore {
    readonly location: string;
    readonly #root: string;
    readonly #tempDir: string;
    readonly #readChunkSize: number;
    readonly #flushEvery: number;
    readonly #modes: { file: number; dir: number; narrowRoot: boolean };
    readonly #verifyExistingUpTo: number;
    #ready: Promise<void> | undefined;
    #closed = false;
    readonly #inFlight = new InFlight(() => (this.#closed ? this.#closedError() : undefined));

    constructor(
        root: string,
        location: string,
        readChunkSize: number,
        flushEvery: number,
        modes: { file: number; dir: number; narrowRoot: boolean },
        verifyExistingUpTo: number,
    ) {
        this.#flushEvery = flushEvery;
        this.#verifyExistingUpTo = verifyExistingUpTo;
        this.#modes = modes;
        this.#root = root;
        this.#tempDir = join(root, TEMP_DIR);
        this.#readChunkSize = readChunkSize;
        this.location = location;
        // "On open": create the layout and clean up after dead writers right away. A failure is
        // reported by the first operation, which retries.
        void this.#inFlight.track(() => this.#init()).catch(() => {});
    }

    put(body: PutBody, options: PutOptions = {}): Promise<PutResult> {
        return this.#inFlight.track(() => this.#put(body, options), () => discardBody(body));
    }

    canAdopt(file: string): Promise<boolean> {
        return this.#inFlight.track(async () => {
            await this.#init();
            // A hard link needs one file system; anything else (no such file, no links there) is
            // for adopt itself to find and report.
            const [source, temp] = await Promise.all([stat(file).catch(() => undefined), stat(this.#tempDir)]);
            return source === undefined || source.dev === temp.dev;
        });
    }

    adopt(file: string, options: AdoptOptions): Promise<PutResult | undefined> {
        return this.#inFlight.track(() => this.#adopt(file, options));
    }

    get(pointer: string, options: GetOptions = {}): Promise<Readable> {
        return this.#inFlight.track(async () => {
            const path = this.#pathOf(pointer);
            await this.#init();
            options.signal?.throwIfAborted();
            let handle: FileHandle;
            try {
                handle = await open(path, 'r');
            } catch (error) {
                throw toStoreError(error, `read ${pointer}`);
            }
            const stream = handle.createReadStream({ highWaterMark: this.#readChunkSize });
            return options.signal ? addAbortSignal(options.signal, stream) : stream;
        });
    }

    stat(pointer: string): Promise<ObjectInfo> {
        return this.#inFlight.track(async () => {
            const path = this.#pathOf(pointer);
            await this.#init();
            try {
                const info = await stat(path);
                return { pointer, size: info.size, modified: info.mtime };
            } catch (error) {
                throw toStoreError(error, `stat ${pointer}`);
            }
        });
    }

    exists(pointer: string): Promise<boolean> {
        return this.#inFlight.track(async () => {
            const path = this.#pathOf(pointer);
            await this.#init();
            try {
                await lstat(path);
                return true;
            } catch (error) {
                if (errnoCode(error) === 'ENOENT') return false;
                throw toStoreError(error, `stat ${pointer}`);
            }
        });
    }

    delete(pointer: string): Promise<void> {
        return this.#inFlight.track(async () => {
            const path = this.#pathOf(pointer);
            await this.#init();
            try {
                await unlink(path);
            } catch (error) {
                if (errnoCode(error) !== 'ENOENT') throw toStoreError(error, `delete ${pointer}`);
            }
        });
    }

    async *list(prefix = ''): AsyncIterable<ObjectInfo> {
        this.#assertOpen();
        await this.#init();
        const base = join(this.#root, OBJECTS_DIR);
        let fanout: string[];
        try {
            fanout = (await readdir(base)).filter((name) => /^[0-9a-f]{2}$/.test(name)).sort();
        } catch (error) {
            if (errnoCode(error) === 'ENOENT') return;
            throw toStoreError(error, 'list objects');
        }
        for (const dir of fanout) {
            const dirPrefix = `${OBJECTS_DIR}/${dir}/`;
            // Skip whole directories that cannot contain a match.
            if (!dirPrefix.startsWith(prefix) && !prefix.startsWith(dirPrefix)) continue;
            let names: string[];
            try {
                names = (await readdir(join(base, dir))).sort();
            } catch (error) {
                if (errnoCode(error) === 'ENOENT') continue;
                throw toStoreError(error, 'list objects');
            }
            for (const name of names) {
                const pointer = dirPrefix + name;
                if (!POINTER_PATTERN.test(pointer) || !pointer.startsWith(prefix)) continue;
                try {
                    const info = await stat(join(base, dir, name));
                    yield { pointer, size: info.size, modified: info.mtime };
                } catch (error) {
                    if (errnoCode(error) !== 'ENOENT') throw toStoreError(error, `stat ${pointer}`);
                }
            }
        }
    }

    async close(): Promise<void> {
        this.#closed = true;
        await this.#inFlight.settled();
    }

    [Symbol.asyncDispose](): Promise<void> {
        return this.close();
    }


    #assertOpen(): void {
        if (this.#closed) throw this.#closedError();
    }

    #closedError(): StoreError {
        return new StoreError('UNAVAILABLE', `the store ${this.location} is closed; open a new one`);
    }

    #pathOf(pointer: string): string {
        if (typeof pointer !== 'string' || !POINTER_PATTERN.test(pointer)) {
            throw new StoreError(
                'INVALID_ARGUMENT',
                `${JSON.stringify(pointer)} is not a pointer of this store (expected sha256/ab/<62 hex>)`,
            );
        }
        return join(this.#root, pointer);
    }

    /** Creates the layout and removes temp files of dead writers, once. */
    #init(): Promise<void> {
        this.#ready ??= (async () => {
            try {
                await mkdirDurable(join(this.#root, OBJECTS_DIR), this.#modes.dir);
                await mkdirDurable(this.#tempDir, this.#modes.dir);
                if (this.#modes.narrowRoot) await this.#narrow([this.#root, join(this.#root, OBJECTS_DIR), this.#tempDir]);
                await removeStaleTempFiles(this.#tempDir);
            } catch (error) {
                this.#ready = undefined; // let a later call retry, e.g. once the disk is mounted
                throw toStoreError(error, `open store ${this.#root}`);
            }
        })();
        return this.#ready;
    }

    /**
     * Sets an object's modification time to now when a put reuses it. A garbage collector keeps
     * objects younger than its minimum age, because a record may be about to commit them; an old
     * unreferenced object that a put just claimed must count as young too. Best effort.
     */
    async #freshen(pointer: string): Promise<void> {
        const now = new Date();
        await utimes(join(this.#root, pointer), now, now).catch(() => {});
    }

    /** Takes permission bits beyond `dirMode` away from `dirs`; best effort (see `narrowRoot`). */
    async #narrow(dirs: string[]): Promise<void> {
        for (const dir of dirs) {
            try {
                const mode = (await stat(dir)).mode & 0o7777;
                if ((mode & ~this.#modes.dir & 0o777) !== 0) await chmod(dir, mode & (this.#modes.dir | 0o7000));
            } catch {
                // Not ours to change (another owner, a read-only mount): it keeps working as it is.
            }
        }
    }

    async #put(body: PutBody, options: PutOptions): Promise<PutResult> {
        const { checksum, size, signal, onProgress } = options;
        if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0)) {
            discardBody(body);
            throw new StoreError('INVALID_ARGUMENT', `size must be a non-negative integer, got ${String(size)}`);
        }
        if (typeof checksum === 'string') {
            try {
                assertChecksum(checksum);
            } catch (error) {
                discardBody(body);
                throw error;
            }
        }
        const pending = checksum === undefined || typeof checksum === 'string' ? undefined : Promise.resolve(checksum);
        const interruption = watchInterruption(signal, pending);
        let tempPath: string | undefined;
        let handle: FileHandle | undefined;
        try {
            interruption.throwIfInterrupted();
            await this.#init();

            // Set when the object under this checksum exists but is damaged: the put replaces it.
            let damaged = false;
            if (typeof checksum === 'string') {
                const existing = await this.#inspect(localPointerFor(checksum), checksum, size);
                if (existing.state === 'intact') {
                    discardBody(body);
                    await this.#freshen(localPointerFor(checksum));
                    return { pointer: localPointerFor(checksum), size: existing.size, checksum, skipped: true };
                }
                damaged = existing.state === 'damaged';
            }

            tempPath = join(this.#tempDir, tempFileName(randomUUID()));
            try {
                handle = await open(tempPath, 'wx', 0o600);
            } catch (error) {
                throw toStoreError(error, 'create a temp file');
            }
            // Hash here only when no hasher runs beside us; a checksum promise comes from one
            // that reads the very same chunks, so hashing again would only burn CPU.
            const hash = pending === undefined ? createHash('sha256') : undefined;
            const written = await this.#writeBody(body, handle, hash, size, interruption, onProgress);
            if (size !== undefined && written !== size) {
                throw new StoreError('SIZE_MISMATCH', `the body had ${written} bytes but size ${size} was given; nothing was stored`);
            }
            try {
                await handle.sync();
                await handle.chmod(this.#modes.file);
            } catch (error) {
                throw toStoreError(error, 'flush the temp file'); // the finally below closes it
            }
            const closing = handle;
            handle = undefined;
            await closing.close().catch((error: unknown) => {
                throw toStoreError(error, 'close the temp file');
            });

            let actual: string;
            if (pending !== undefined) {
                // A rejected checksum surfaces as the interruption's ABORTED error, with the reason as cause.
                actual = await interruption.race(pending.catch(() => interruption.promise));
                assertChecksum(actual, 'the resolved checksum');
            } else {
                actual = `sha256:${hash!.digest('hex')}`;
                if (typeof checksum === 'string' && actual !== checksum) {
                    throw new StoreError(
                        'CHECKSUM_MISMATCH',
                        `the body hashed to ${actual}, not the expected ${checksum}; nothing was stored`,
                    );
                }
            }
            interruption.throwIfInterrupted();

            const pointer = localPointerFor(actual);
            const published = await this.#publish(tempPath, pointer, actual, written, damaged && actual === checksum);
            return { pointer, size: written, checksum: actual, ...published };
        } catch (error) {
            throw toStoreError(error, 'put');
        } finally {
            interruption.dispose();
            if (handle !== undefined) await handle.close().catch(() => {});
            if (tempPath !== undefined) {
                await rm(tempPath, { force: true }).catch(() => {});
            }
        }
    }

    /**
     * A put without the copy: the file gets a second name in the temp directory (a hard link, so
     * the caller's name can go at any time), is fsynced, made read-only and freshened there, and
     * is published like a put's temp file once its checksum settled. A crash leaves at most that
     * temp name, which the next open removes; the caller's file is never moved or changed in content.
     */
    async #adopt(file: string, options: AdoptOptions): Promise<PutResult | undefined> {
        const { checksum, size, signal } = options;
        if (!(Number.isSafeInteger(size) && size >= 0)) throw new StoreError('INVALID_ARGUMENT', `size must be a non-negative integer, got ${String(size)}`);
        if (typeof checksum === 'string') assertChecksum(checksum);
        const pending = typeof checksum === 'string' ? undefined : Promise.resolve(checksum);
        const interruption = watchInterruption(signal, pending);
        let tempPath: string | undefined;
        try {
            interruption.throwIfInterrupted();
            await this.#init();
            const linked = join(this.#tempDir, tempFileName(randomUUID()));
            try {
                await link(file, linked);
            } catch (error) {
                if (CANNOT_LINK.has(errnoCode(error) ?? '')) return undefined;
                throw toStoreError(error, `adopt ${file}`);
            }
            tempPath = linked;
            // link() does not follow a symbolic link: only a regular file's inode can become an object.
            const info = await lstat(tempPath);
            if (!info.isFile()) throw new StoreError('INVALID_ARGUMENT', `${file} is not a regular file; only a file's bytes can be adopted`);
            if (info.size !== size) throw new StoreError('SIZE_MISMATCH', `${file} has ${info.size} bytes but size ${size} was given; nothing was stored`);
            const handle = await open(tempPath, 'r');
            try {
                // Young, as a put's object is: gc spares objects a record may be about to claim.
                const now = new Date();
                await handle.utimes(now, now);
                await handle.sync();
                await handle.chmod(this.#modes.file);
            } catch (error) {
                throw toStoreError(error, 'flush the adopted file');
            } finally {
                await handle.close().catch(() => {});
            }
            const actual = pending === undefined ? (checksum as string) : await interruption.race(pending.catch(() => interruption.promise));
            assertChecksum(actual, 'the resolved checksum');
            interruption.throwIfInterrupted();
            const pointer = localPointerFor(actual);
            const published = await this.#publish(tempPath, pointer, actual, size, false);
            return { pointer, size, checksum: actual, ...published };
        } catch (error) {
            throw toStoreError(error, 'adopt');
        } finally {
            interruption.dispose();
            if (tempPath !== undefined) await rm(tempPath, { force: true }).catch(() => {});
        }
    }

    async #writeBody(
        body: PutBody,
        handle: FileHandle,
        hash: Hash | undefined,
        size: number | undefined,
        interruption: ReturnType<typeof watchInterruption>,
        onProgress: ((bytes: number) => void) | undefined,
    ): Promise<number> {
        let written = 0;
        // Write-behind flushing: a datasync every `flushEvery` bytes, not awaited, starts the disk
        // writes while the body is still streaming, so the final fsync has little left to do.
        let flushed = 0;
        let flushing: Promise<void> | undefined;
        let flushError: unknown;
        try {
        // Each chunk is fully written before the next is requested: callers may reuse its memory.
        for await (const chunk of readBody(body, interruption)) {
            if (size !== undefined && written + chunk.byteLength > size) {
                throw new StoreError('SIZE_MISMATCH', `the body is longer than the given size ${size}; nothing was stored`);
            }
            hash?.update(chunk);
            let offset = 0;
            while (offset < chunk.byteLength) {
                const { bytesWritten } = await handle
                    .write(chunk, offset, chunk.byteLength - offset)
                    .catch((error: unknown) => {
                        throw toStoreError(error, 'write the temp file');
                    });
                offset += bytesWritten;
            }
            written += chunk.byteLength;
            if (this.#flushEvery > 0 && flushing === undefined && written - flushed >= this.#flushEvery) {
                const upTo = written;
                flushing = handle.datasync().then(
                    () => {
                        flushed = upTo;
                        flushing = undefined;
                    },
                    (error: unknown) => {
                        flushError ??= error;
                    },
                );
            }
            if (flushError !== undefined) throw toStoreError(flushError, 'flush the temp file');
            interruption.throwIfInterrupted();
            onProgress?.(written);
        }
        } finally {
            await flushing; // never leave a datasync running on a handle about to be closed
        }
        if (flushError !== undefined) throw toStoreError(flushError, 'flush the temp file');
        return written;
    }

    /**
     * Makes the temp file (verified bytes of `checksum`, `size` long) visible under `pointer`.
     * link() never replaces, so an object already there (a concurrent put, or an earlier one) stays
     * and the put is a skip — once that object proved intact. A damaged one (`knownDamaged`: the
     * caller just checked) is replaced by renaming the temp file over it.
     */
    async #publish(tempPath: string, pointer: string, checksum: string, size: number, knownDamaged: boolean): Promise<{ skipped: boolean; repaired?: true }> {
        const target = join(this.#root, pointer);
        const dir = join(this.#root, pointer.slice(0, pointer.lastIndexOf('/')));
        try {
            await mkdirDurable(dir, this.#modes.dir);
            let result: { skipped: boolean; repaired?: true } = { skipped: false };
            try {
                await link(tempPath, target);
            } catch (error) {
                if (errnoCode(error) !== 'EEXIST') throw error;
                if (knownDamaged || (await this.#inspect(pointer, checksum, size)).state !== 'intact') {
                    await rename(tempPath, target);
                    result = { skipped: false, repaired: true };
                } else {
                    await this.#freshen(pointer);
                    result = { skipped: true };
                }
            }
            await fsyncDirectory(dir);
            return result;
        } catch (error) {
            throw toStoreError(error, `publish ${pointer}`);
        }
    }

    /**
     * Whether the object under `pointer` exists and holds exactly the bytes of `checksum` (and
     * `size`, when given): its size is compared first, then its bytes are hashed, when it is no
     * larger than `verifyExistingUpTo`.
     */
    async #inspect(pointer: string, checksum: string, size: number | undefined): Promise<{ state: 'absent' } | { state: 'damaged' } | { state: 'intact'; size: number }> {
        const path = join(this.#root, pointer);
        try {
            const info = await lstat(path);
            if (!info.isFile() || (size !== undefined && info.size !== size)) return { state: 'damaged' };
            if (info.size > this.#verifyExistingUpTo) return { state: 'intact', size: info.size };
            const hash = createHash('sha256');
            let read = 0;
            for await (const chunk of createReadStream(path, { highWaterMark: this.#readChunkSize })) {
                hash.update(chunk as Buffer);
                read += (chunk as Buffer).length;
            }
            return `sha256:${hash.digest('hex')}` === checksum ? { state: 'intact', size: read } : { state: 'damaged' };
        } catch (error) {
            if (errnoCode(error) === 'ENOENT') return { state: 'absent' };
            throw toStoreError(error, `check ${pointer}`);
        }
    }
}
