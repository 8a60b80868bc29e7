/**
 * The hash pool: SHA-256 in piscina worker threads, fed by one-read-pass file readers (see
 * file-pass.ts). A small facade in piscina's style: a bounded queue of files waiting for a
 * thread, AbortSignal per file, `close()` that drains.
 *
 * At most `threads` files are read at once (one worker each), so every running pass has a hasher
 * and memory is bounded by threads × slots × chunkSize (default 2 × 4 × 1 MiB).
 */

import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { TrackerError } from '../errors.js';
import { identityOf } from './file-identity.js';
import { startFilePass, type FileHash, type FilePass } from './file-pass.js';
import type { HashTask, HashTaskResult } from './hash-worker.js';
import { createRing, resetRing, type Ring } from './ring.js';

/** Options of {@link createHashPool}. */
export interface HashPoolOptions {
    /** Worker threads = files hashed at once (default: available cores). */
    threads?: number;
    /** Files that may wait for a thread before `open` rejects (default 10 000). */
    maxQueue?: number;
    /** Read size per chunk (default 1 MiB: Node's 64 KiB streams halve hashing throughput). */
    chunkSize?: number;
    /** Chunks in flight per file (default 4). */
    slots?: number;
    /** The built worker module; defaults to hash-worker.js beside this module (or in dist/). */
    workerFile?: string | URL;
}

/** Options of one file. */
export interface OpenOptions {
    signal?: AbortSignal;
    /** True if an uploader will iterate `pass.chunks`; the reader then also waits for it. */
    consume?: boolean;
}

/** Counters, e.g. to check that the hash cache spared work. */
export interface HashPoolStats {
    /** Passes started (files read). */
    filesRead: number;
    /** Bytes hashed by completed passes. */
    bytesHashed: number;
}

/** A pool of hash workers. */
export interface HashPool extends AsyncDisposable {
    readonly threads: number;
    readonly chunkSize: number;
    readonly stats: Readonly<HashPoolStats>;
    /**
     * Opens `path` and starts a read pass once a thread is free. Rejects with NOT_FOUND (no such
     * file), INVALID_ARGUMENT (not a regular file / unreadable), ABORTED, or INTERNAL (queue full,
     * pool closed).
     */
    open(path: string, options?: OpenOptions): Promise<FilePass>;
    /** Hashes a whole file (no upload). */
    hash(path: string, options?: { signal?: AbortSignal }): Promise<FileHash>;
    /** Lets queued and running files finish, then stops the threads. Idempotent. */
    close(): Promise<void>;
}

/** Creates a hash pool. Threads start at once, so the first file does not pay for their startup. */
export function createHashPool(options: HashPoolOptions = {}): HashPool {
    return new Pool(options);
}

/** Where the built worker is: beside this module in dist/, or dist/ when running from src/ (tests). */
export function defaultWorkerFile(): string {
    const beside = fileURLToPath(new URL('./hash-worker.js', import.meta.url));
    if (existsSync(beside)) return beside;
    const built = fileURLToPath(new URL('../../dist/hashing/hash-worker.js', import.meta.url));
    if (existsSync(built)) return built;
    throw new TrackerError(
        'INTERNAL',
        `the hash worker is not built (looked for ${beside} and ${built}); run \`npx turbo run build --filter=@hyperprov/tracker\``,
    );
}

interface Waiter {
    resolve(): void;
    reject(error: TrackerError): void;
    signal: AbortSignal | undefined;
    onAbort: () => void;
}

class Pool implements HashPool {
    readonly threads: number;
    readonly chunkSize: number;
    readonly stats: HashPoolStats = { filesRead: 0, bytesHashed: 0 };
    readonly #slots: number;
    readonly #maxQueue: number;
    readonly #piscina: Piscina;
    readonly #freeRings: Ring[] = [];
    readonly #queue: Waiter[] = [];
    readonly #running = new Set<Promise<unknown>>();
    #active = 0;
    #closed = false;
    #closing: Promise<void> | undefined;

    constructor(options: HashPoolOptions) {
        this.threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
        this.chunkSize = options.chunkSize ?? 1 << 20;
        this.#slots = Math.max(2, options.slots ?? 4);
        this.#maxQueue = options.maxQueue ?? 10_000;
        if (!Number.isSafeInteger(this.chunkSize) || this.chunkSize < 4096) {
            throw new TrackerError('INVALID_ARGUMENT', `chunkSize must be an integer ≥ 4096, got ${options.chunkSize}`);
        }
        const workerFile = options.workerFile ?? defaultWorkerFile();
        this.#piscina = new Piscina({
            filename: typeof workerFile === 'string' ? workerFile : fileURLToPath(workerFile),
            minThreads: this.threads,
            maxThreads: this.threads,
            // Our own queue admits only as many files as threads, so piscina never queues.
            maxQueue: this.threads,
            idleTimeout: 60_000,
        });
    }

    async open(path: string, options: OpenOptions = {}): Promise<FilePass> {
        const { signal } = options;
        if (this.#closed) throw new TrackerError('INTERNAL', 'the hash pool is closed');
        await this.#acquire(signal);
        let handle: FileHandle | undefined;
        try {
            handle = await openRegularFile(path);
            const before = identityOf(await handle.stat({ bigint: true }));
            if (signal?.aborted) throw abortError(path, signal);
            const ring = this.#takeRing();
            this.stats.filesRead++;
            let settle!: () => void;
            const done = new Promise<void>((resolve) => (settle = resolve));
            this.#running.add(done);
            const pass = startFilePass({
                path,
                handle,
                before,
                ring,
                consume: options.consume ?? false,
                signal,
                runTask: () =>
                    this.#piscina.run({
                        control: ring.control,
                        data: ring.data,
                        slots: ring.slots,
                        chunkSize: ring.chunkSize,
                    } satisfies HashTask) as Promise<HashTaskResult>,
                onFinished: (clean) => {
                    if (clean) {
                        resetRing(ring);
                        this.#freeRings.push(ring);
                    }
                    this.#running.delete(done);
                    settle();
                    this.#release();
                },
            });
            pass.result.then((r) => (this.stats.bytesHashed += r.size)).catch(() => {});
            return pass;
        } catch (error) {
            await handle?.close().catch(() => {});
            this.#release();
            throw error;
        }
    }

    async hash(path: string, options: { signal?: AbortSignal } = {}): Promise<FileHash> {
        const pass = await this.open(path, options.signal ? { signal: options.signal } : {});
        return pass.result;
    }

    close(): Promise<void> {
        this.#closed = true;
        this.#closing ??= (async () => {
            while (this.#queue.length > 0 || this.#running.size > 0) {
                await Promise.allSettled([...this.#running]);
                if (this.#running.size === 0 && this.#queue.length > 0) await new Promise((r) => setImmediate(r));
            }
            this.#freeRings.length = 0;
            await this.#piscina.close();
        })();
        return this.#closing;
    }

    [Symbol.asyncDispose](): Promise<void> {
        return this.close();
    }

    #takeRing(): Ring {
        return this.#freeRings.pop() ?? createRing(this.#slots, this.chunkSize);
    }

    /** Waits for a free thread; FIFO, bounded, abortable. */
    #acquire(signal: AbortSignal | undefined): Promise<void> {
        if (signal?.aborted) return Promise.reject(abortError('the file', signal));
        if (this.#active < this.threads) {
            this.#active++;
            return Promise.resolve();
        }
        if (this.#queue.length >= this.#maxQueue) {
            return Promise.reject(
                new TrackerError(
                    'INTERNAL',
                    `the hash queue is full (${this.#maxQueue} files waiting); wait for earlier files or raise maxQueue`,
                ),
            );
        }
        return new Promise<void>((resolve, reject) => {
            const waiter: Waiter = {
                resolve,
                reject,
                signal,
                onAbort: () => {
                    const index = this.#queue.indexOf(waiter);
                    if (index >= 0) this.#queue.splice(index, 1);
                    reject(abortError('the file', signal!));
                },
            };
            signal?.addEventListener('abort', waiter.onAbort, { once: true });
            this.#queue.push(waiter);
        });
    }

    #release(): void {
        const next = this.#queue.shift();
        if (next === undefined) {
            this.#active--;
            return;
        }
        next.signal?.removeEventListener('abort', next.onAbort);
        next.resolve(); // hands our thread over; #active unchanged
    }
}

function abortError(path: string, signal: AbortSignal): TrackerError {
    return new TrackerError('ABORTED', `hashing ${path} was aborted`, { cause: signal.reason });
}

/** Opens a regular file for reading, translating fs errors into TrackerErrors. */
async function openRegularFile(path: string): Promise<FileHandle> {
    let handle: FileHandle;
    try {
        handle = await open(path, 'r');
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
            throw new TrackerError('NOT_FOUND', `file ${path} does not exist; check the path`, { cause: error });
        }
        if (code === 'EISDIR') {
            throw new TrackerError('INVALID_ARGUMENT', `${path} is a directory; record files one by one (datasets: record a manifest)`, {
                cause: error,
            });
        }
        throw new TrackerError('INVALID_ARGUMENT', `cannot read ${path}: ${(error as Error).message}; check its permissions`, {
            cause: error,
        });
    }
    const info = await handle.stat().catch(() => undefined);
    if (info === undefined || !info.isFile()) {
        await handle.close().catch(() => {});
        throw new TrackerError('INVALID_ARGUMENT', `${path} is not a regular file; only regular files can be hashed`);
    }
    return handle;
}

