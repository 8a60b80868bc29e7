/**
 * The hash pool: SHA-256 in piscina worker threads, fed by one-read-pass file readers (see
 * file-pass.ts). A small facade in piscina's style: a bounded queue of files waiting for a
 * thread, AbortSignal per file, `close()` that drains.
 *
 * At most `threads` big files are read at once (one worker each), so every running pass has a
 * hasher and memory is bounded by threads × slots × chunkSize (default 2 × 8 × 1 MiB). Small files
 * (≤ inlineMaxBytes) skip the worker round trip and are hashed on the calling thread, up to 8 at once.
 */

import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { TrackerError } from '@hyperprov/errors';
import { identityOf } from './file-identity.js';
import { startFilePass, type FileHash, type FilePass } from './file-pass.js';
import { Gate } from './gate.js';
import { CTRL_STATE, STATE_END, type HashTask, type HashTaskResult } from './hash-worker.js';
import { createRing, resetRing, type Ring } from './ring.js';

/** Options of {@link createHashPool}. */
export interface HashPoolOptions {
    /** Worker threads = files hashed at once (default: available cores). */
    threads?: number;
    /** Files that may wait for a thread before `open` rejects (default 10 000). */
    maxQueue?: number;
    /** Read size per chunk (default 1 MiB: Node's 64 KiB streams halve hashing throughput). */
    chunkSize?: number;
    /** Chunks in flight per file (default 8: absorbs scheduling hiccups of either side on a busy machine). */
    slots?: number;
    /**
     * Files up to this size (default 128 KiB) are hashed on the calling thread: a worker round trip
     * costs more than hashing them. Same single read pass and change detection.
     */
    inlineMaxBytes?: number;
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
    /** Of those, small files hashed on the calling thread. */
    filesInline: number;
    /** Shared-memory rings allocated so far (they are reused: this stays small). */
    ringsAllocated: number;
    /** Bytes hashed by completed passes. */
    bytesHashed: number;
}

/** A pool of hash workers. */
export interface HashPool extends AsyncDisposable {
    readonly threads: number;
    readonly chunkSize: number;
    readonly stats: Readonly<HashPoolStats>;
    /** Files waiting for a worker thread (admitted ones are not counted). */
    readonly waiting: number;
    /**
     * Opens `path` and starts a read pass once a thread is free. Rejects with NOT_FOUND (no such
     * file), INVALID_ARGUMENT (not a regular file / unreadable), ABORTED, or INTERNAL (queue full,
     * pool closed).
     */
    open(path: string, options?: OpenOptions): Promise<FilePass>;
    /**
     * Resolves once a worker thread has booted. Until then the first big file is hashed on the
     * calling thread rather than waiting (a cold CLI process records sooner that way).
     */
    ready(): Promise<void>;
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

class Pool implements HashPool {
    readonly threads: number;
    readonly chunkSize: number;
    readonly stats: HashPoolStats = { filesRead: 0, filesInline: 0, ringsAllocated: 0, bytesHashed: 0 };

    get waiting(): number {
        return this.#workerGate.waiting;
    }
    readonly #slots: number;
    readonly #inlineMaxBytes: number;
    readonly #piscina: Piscina;
    readonly #workerGate: Gate;
    readonly #inlineGate: Gate;
    readonly #freeRings: Ring[] = [];
    readonly #freeInlineRings: Ring[] = [];
    readonly #running = new Set<Promise<unknown>>();
    #closed = false;
    #closing: Promise<void> | undefined;
    /** True once a worker has finished booting (its warm-up task returned). */
    #warm = false;
    readonly #ready: Promise<void>;
    /** True while a big file is hashed on this thread because no worker was ready yet. */
    #coldInline = false;

    constructor(options: HashPoolOptions) {
        this.threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
        this.chunkSize = options.chunkSize ?? 1 << 20;
        this.#slots = Math.max(2, options.slots ?? 8);
        this.#inlineMaxBytes = Math.min(options.inlineMaxBytes ?? 128 * 1024, this.chunkSize);
        const maxQueue = options.maxQueue ?? 10_000;
        if (!Number.isSafeInteger(this.chunkSize) || this.chunkSize < 4096) {
            throw new TrackerError('INVALID_ARGUMENT', `chunkSize must be an integer ≥ 4096, got ${options.chunkSize}`);
        }
        const aborted = (signal: AbortSignal): TrackerError => abortError('the file', signal);
        this.#workerGate = new Gate(this.threads, maxQueue, aborted);
        // Small files are I/O-bound on the main thread: a few at once overlap their opens and reads.
        this.#inlineGate = new Gate(8, maxQueue, aborted);
        const workerFile = options.workerFile ?? defaultWorkerFile();
        this.#piscina = new Piscina({
            filename: typeof workerFile === 'string' ? workerFile : fileURLToPath(workerFile),
            minThreads: this.threads,
            maxThreads: this.threads,
            // Our gate admits only as many files as threads; the rest is room for the warm-ups.
            maxQueue: this.threads * 2,
            idleTimeout: 60_000,
            // piscina loads the worker with require() first; on Node 20.19+ that is require(esm),
            // which crashed a whole CI process once inside V8 ("IsGraphAsync must be used on an
            // instantiated module", in a worker still loading). Without it, require() refuses the
            // ES module at once and piscina imports it, the path Node has long supported.
            execArgv: [...process.execArgv, ...(process.features.require_module ? ['--no-experimental-require-module'] : [])],
        });
        // Booting a worker takes 30–200 ms (more on a busy machine). An empty task per thread tells
        // us when one is ready; until then the first big file is hashed here instead of waiting.
        const warmups = Array.from({ length: this.threads }, () => {
            const ring = createRing(1, 16);
            Atomics.store(ring.controlView, CTRL_STATE, STATE_END);
            return this.#piscina.run({ control: ring.control, data: ring.data, slots: 1, chunkSize: 16 } satisfies HashTask);
        });
        this.#ready = Promise.any(warmups).then(
            () => {
                this.#warm = true;
            },
            (error: unknown) => {
                throw new TrackerError('INTERNAL', `the hash workers failed to start: ${String(error)}`, { cause: error });
            },
        );
        this.#ready.catch(() => {}); // reported by ready() and by the tasks that follow
    }

    ready(): Promise<void> {
        return this.#ready;
    }

    async open(path: string, options: OpenOptions = {}): Promise<FilePass> {
        const { signal } = options;
        if (this.#closed) throw new TrackerError('INTERNAL', 'the hash pool is closed; create a new one');
        // Every file enters through the small-file gate (so queued files hold no descriptor); one
        // that turns out big moves to the worker gate and is opened again once admitted.
        let held: Gate | undefined = this.#inlineGate;
        await held.acquire(signal);
        let handle: FileHandle | undefined;
        let cold = false;
        try {
            handle = await openRegularFile(path);
            let before = identityOf(await handle.stat({ bigint: true }));
            let inline = before.size <= BigInt(this.#inlineMaxBytes);
            // Cold start (e.g. a CLI recording one checkpoint): hashing here beats waiting for a
            // worker to boot. Only one such file at a time; the others wait for the workers.
            cold = !inline && !this.#warm && !this.#coldInline;
            if (cold) {
                this.#coldInline = true;
                inline = true;
            }
            if (!inline) {
                await handle.close();
                handle = undefined;
                held.release();
                held = undefined;
                await this.#workerGate.acquire(signal);
                held = this.#workerGate;
                handle = await openRegularFile(path);
                before = identityOf(await handle.stat({ bigint: true }));
            }
            if (signal?.aborted) throw abortError(path, signal);
            const small = inline && !cold;
            const rings = small ? this.#freeInlineRings : this.#freeRings;
            let ring = rings.pop();
            if (ring === undefined) {
                ring = small ? createRing(2, this.#inlineMaxBytes) : createRing(this.#slots, this.chunkSize);
                this.stats.ringsAllocated++;
            }
            this.stats.filesRead++;
            if (inline) this.stats.filesInline++;
            let settle!: () => void;
            const done = new Promise<void>((resolve) => (settle = resolve));
            this.#running.add(done);
            const admitted = held;
            const pass = startFilePass({
                path,
                handle,
                before,
                ring,
                consume: options.consume ?? false,
                signal,
                runTask: inline
                    ? undefined
                    : () =>
                          this.#piscina.run({
                              control: ring.control,
                              data: ring.data,
                              slots: ring.slots,
                              chunkSize: ring.chunkSize,
                          } satisfies HashTask) as Promise<HashTaskResult>,
                onFinished: (clean) => {
                    if (cold) this.#coldInline = false;
                    if (clean) {
                        resetRing(ring);
                        rings.push(ring);
                    }
                    this.#running.delete(done);
                    settle();
                    admitted.release();
                },
            });
            pass.result.then((r) => (this.stats.bytesHashed += r.size)).catch(() => {});
            return pass;
        } catch (error) {
            await handle?.close().catch(() => {});
            held?.release();
            if (cold) this.#coldInline = false;
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
            // Admitted files finish; queued ones are admitted as places free up, so wait for both.
            while (this.#running.size > 0 || this.#workerGate.load > 0 || this.#inlineGate.load > 0) {
                if (this.#running.size > 0) await Promise.allSettled([...this.#running]);
                else await new Promise((resolve) => setImmediate(resolve));
            }
            this.#freeRings.length = 0;
            this.#freeInlineRings.length = 0;
            await this.#piscina.close();
        })();
        return this.#closing;
    }

    [Symbol.asyncDispose](): Promise<void> {
        return this.close();
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

