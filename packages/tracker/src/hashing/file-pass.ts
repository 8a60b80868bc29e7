/**
 * One read pass over a file (FIVER-style): the file is read once, in large chunks, into the slots
 * of a shared ring. Each chunk is hashed in place by a worker thread and, at the same time, handed
 * to the uploader; a slot is refilled only when both are done with it, so the slower side sets the
 * pace and memory stays at slots × chunkSize whatever the file size.
 *
 * The file is fstat'ed before and after reading; if its size, mtime or inode changed, or the bytes
 * read differ from its size, the pass fails with FILE_CHANGED and the checksum promise rejects: a
 * checksum is only ever produced for bytes that were read from one unchanged file version.
 */

import { createHash, type Hash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { TrackerError } from '@hyperprov/errors';
import { identityOf, sameIdentity, type FileIdentity } from './file-identity.js';
import {
    CTRL_EVENTS,
    CTRL_HASHED,
    CTRL_LENGTHS,
    CTRL_STATE,
    CTRL_WRITTEN,
    STATE_ABORT,
    STATE_END,
    type HashTaskResult,
} from './hash-worker.js';
import { waitForChange, type Ring } from './ring.js';

/** The outcome of a pass: the checksum of exactly the bytes read, and the file version read. */
export interface FileHash {
    /** `sha256:<hex>`. */
    checksum: string;
    size: number;
    identity: FileIdentity;
}

/** A running read pass. Obtain one from {@link HashPool.open}. */
export interface FilePass {
    readonly path: string;
    /** Size when the pass started; the pass fails with FILE_CHANGED if the file does not keep it. */
    readonly size: number;
    /** The file version being read. */
    readonly identity: FileIdentity;
    /**
     * The file's bytes, in order, for the uploader (only when opened with `consume: true`). Each
     * chunk is valid until the next one is requested: its slot is then reused. Iterate once.
     */
    readonly chunks: AsyncIterable<Uint8Array>;
    /** Resolves with `sha256:<hex>` once every byte is hashed and the file proved unchanged. */
    readonly checksum: Promise<string>;
    /** Like `checksum`, with size and identity. */
    readonly result: Promise<FileHash>;
    /**
     * Says the uploader is done with the chunks (it finished or gave up): the rest of the file is
     * only hashed, and the ring can be reused. Iterating `chunks` to its end does this too; an
     * uploader that stops early must call it (ingestFile always does).
     */
    releaseConsumer(): void;
    /** Stops the pass; `result` rejects with `reason` (default ABORTED). */
    abort(reason?: TrackerError): void;
}

/** What the pool hands a pass. */
export interface PassContext {
    path: string;
    handle: FileHandle;
    before: FileIdentity;
    ring: Ring;
    consume: boolean;
    signal: AbortSignal | undefined;
    /**
     * Starts the worker task on this ring; undefined to hash on this thread as chunks are read
     * (small files: cheaper than a worker round trip).
     */
    runTask: (() => Promise<HashTaskResult>) | undefined;
    /**
     * Called exactly once when nobody touches the ring any more (reader and hasher finished, the
     * uploader released it); `clean` if it may be reused.
     */
    onFinished(clean: boolean): void;
}

function fileChanged(path: string, what: string): TrackerError {
    return new TrackerError(
        'FILE_CHANGED',
        `${path} changed while it was read (${what}); nothing was recorded. Wait until the writer has finished and run the command again`,
    );
}

/** Starts a pass. The caller has already opened and fstat'ed the file. */
export function startFilePass(context: PassContext): FilePass {
    return new Pass(context);
}

class Pass implements FilePass {
    readonly path: string;
    readonly size: number;
    readonly identity: FileIdentity;
    readonly checksum: Promise<string>;
    readonly result: Promise<FileHash>;
    readonly #context: PassContext;
    readonly #control: Int32Array;
    #failure: TrackerError | undefined;
    /** Chunks the uploader is done with (it asked for the next one). */
    #released = 0;
    #gateOnConsumer: boolean;
    #readerDone = false;
    #consumerStarted = false;
    #wakeReader: (() => void) | undefined;
    #consumerReleased!: () => void;
    readonly #consumerDone = new Promise<void>((resolve) => (this.#consumerReleased = resolve));
    #wakeConsumer: (() => void) | undefined;
    /** The hash, when hashing on this thread instead of a worker. */
    readonly #inlineHash: Hash | undefined;
    #onAbort = (): void => this.abort(new TrackerError('ABORTED', `reading ${this.path} was aborted`, { cause: this.#context.signal?.reason }));

    constructor(context: PassContext) {
        this.#context = context;
        this.#control = context.ring.controlView;
        this.path = context.path;
        this.identity = context.before;
        this.size = Number(context.before.size);
        this.#gateOnConsumer = context.consume;
        if (!context.consume) this.#consumerReleased();
        if (context.signal?.aborted) this.#onAbort();
        else context.signal?.addEventListener('abort', this.#onAbort, { once: true });

        this.#inlineHash = context.runTask === undefined ? createHash('sha256') : undefined;
        const task = context.runTask?.();
        const reader = this.#read();
        this.result = this.#finish(task, reader);
        this.result.catch(() => {});
        this.checksum = this.result.then((r) => r.checksum);
        this.checksum.catch(() => {});
    }

    get chunks(): AsyncIterable<Uint8Array> {
        if (!this.#context.consume) {
            throw new TrackerError('INTERNAL', 'this read pass was opened without consume: true, so it has no chunks');
        }
        if (this.#consumerStarted) throw new TrackerError('INTERNAL', 'the chunks of a read pass can be iterated only once');
        this.#consumerStarted = true;
        return this.#consume();
    }

    releaseConsumer(): void {
        this.#gateOnConsumer = false;
        this.#consumerReleased();
        this.#wake();
    }

    abort(reason?: TrackerError): void {
        if (this.#failure !== undefined) return;
        this.#failure = reason ?? new TrackerError('ABORTED', `reading ${this.path} was aborted`);
        Atomics.store(this.#control, CTRL_STATE, STATE_ABORT);
        Atomics.add(this.#control, CTRL_EVENTS, 1);
        Atomics.notify(this.#control, CTRL_EVENTS);
        Atomics.notify(this.#control, CTRL_HASHED); // wakes our own waitAsync in the reader
        this.#wake();
    }

    #wake(): void {
        const reader = this.#wakeReader;
        const consumer = this.#wakeConsumer;
        this.#wakeReader = undefined;
        this.#wakeConsumer = undefined;
        reader?.();
        consumer?.();
    }

    /** Reads the file into the ring, one slot at a time, as slots free up. */
    async #read(): Promise<number> {
        const { ring, handle } = this.#context;
        const control = this.#control;
        let chunk = 0;
        let position = 0;
        try {
            for (;;) {
                // Wait for slot (chunk % slots) to be free: hashed, and released by the uploader.
                for (;;) {
                    if (this.#failure !== undefined) return position;
                    const hashed = Atomics.load(control, CTRL_HASHED);
                    if (chunk - hashed >= ring.slots) {
                        await waitForChange(control, CTRL_HASHED, hashed);
                        continue;
                    }
                    if (this.#gateOnConsumer && chunk - this.#released >= ring.slots) {
                        await new Promise<void>((resolve) => (this.#wakeReader = resolve));
                        continue;
                    }
                    break;
                }
                const slot = chunk % ring.slots;
                const view = ring.slotViews[slot]!;
                let filled = 0;
                while (filled < ring.chunkSize) {
                    const { bytesRead } = await handle.read(view, filled, ring.chunkSize - filled, position + filled);
                    if (bytesRead === 0) break;
                    filled += bytesRead;
                }
                if (this.#failure !== undefined) return position;
                if (filled === 0) break;
                if (position + filled > this.size) {
                    this.abort(fileChanged(this.path, `it grew beyond its ${this.size} bytes`));
                    return position;
                }
                position += filled;
                Atomics.store(control, CTRL_LENGTHS + slot, filled);
                chunk++;
                if (this.#inlineHash !== undefined) {
                    this.#inlineHash.update(view.subarray(0, filled));
                    Atomics.store(control, CTRL_HASHED, chunk);
                }
                Atomics.store(control, CTRL_WRITTEN, chunk);
                Atomics.add(control, CTRL_EVENTS, 1);
                Atomics.notify(control, CTRL_EVENTS);
                this.#wake();
                if (filled < ring.chunkSize) break; // a short read of a regular file is its end
            }
            await this.#checkUnchanged(position);
            if (this.#failure === undefined) {
                Atomics.store(control, CTRL_STATE, STATE_END);
                Atomics.add(control, CTRL_EVENTS, 1);
                Atomics.notify(control, CTRL_EVENTS);
            }
            return position;
        } catch (error) {
            this.abort(
                error instanceof TrackerError
                    ? error
                    : new TrackerError('INTERNAL', `reading ${this.path} failed: ${(error as Error).message}`, { cause: error }),
            );
            return position;
        } finally {
            this.#readerDone = true;
            this.#wake();
        }
    }

    async #checkUnchanged(bytesRead: number): Promise<void> {
        if (bytesRead !== this.size) {
            this.abort(fileChanged(this.path, `read ${bytesRead} of ${this.size} bytes`));
            return;
        }
        // One stat of the path covers both cases: if it still names our inode, its size and mtime
        // are our file's now (a write changes them); if it names another inode, it was replaced.
        let current: FileIdentity | undefined;
        try {
            current = identityOf(await stat(this.path, { bigint: true }));
        } catch {
            current = undefined;
        }
        if (current === undefined || current.ino !== this.identity.ino || current.dev !== this.identity.dev) {
            this.abort(fileChanged(this.path, 'it was replaced or removed'));
        } else if (!sameIdentity(this.identity, current)) {
            this.abort(fileChanged(this.path, current.size !== this.identity.size ? 'its size changed' : 'it was modified'));
        }
    }

    /** Hands each published chunk to the uploader; a chunk is released when the next is requested. */
    async *#consume(): AsyncGenerator<Uint8Array, void, undefined> {
        const { ring } = this.#context;
        let chunk = 0;
        try {
            for (;;) {
                while (this.#failure === undefined && chunk >= Atomics.load(this.#control, CTRL_WRITTEN) && !this.#readerDone) {
                    await new Promise<void>((resolve) => (this.#wakeConsumer = resolve));
                }
                if (this.#failure !== undefined) throw this.#failure;
                if (chunk >= Atomics.load(this.#control, CTRL_WRITTEN)) {
                    return; // reader done and the file proved unchanged
                }
                const slot = chunk % ring.slots;
                const length = Atomics.load(this.#control, CTRL_LENGTHS + slot);
                yield ring.slotViews[slot]!.subarray(0, length);
                chunk++;
                this.#released = chunk;
                this.#wake();
            }
        } finally {
            // An uploader that stops early is not an error by itself (one that fails says so, and
            // ingestFile then aborts the pass): the rest of the file is just hashed.
            this.releaseConsumer();
        }
    }

    async #finish(task: Promise<HashTaskResult> | undefined, reader: Promise<number>): Promise<FileHash> {
        let outcome: HashTaskResult | undefined;
        let taskError: unknown;
        try {
            outcome = await task;
        } catch (error) {
            taskError = error;
            this.abort(new TrackerError('INTERNAL', `the hash worker failed on ${this.path}: ${String(error)}`, { cause: error }));
        }
        const bytesRead = await reader;
        if (this.#inlineHash !== undefined && this.#failure === undefined) {
            outcome = { hex: this.#inlineHash.digest('hex'), bytes: bytesRead, chunks: 0, aborted: false };
        }
        this.#context.signal?.removeEventListener('abort', this.#onAbort);
        await this.#context.handle.close().catch(() => {});
        // Recycle the ring once the uploader lets go of its last chunk too (not awaited: the
        // result must not wait for an uploader that itself waits for the checksum).
        void this.#consumerDone.then(() => this.#context.onFinished(taskError === undefined));
        if (this.#failure !== undefined) throw this.#failure;
        if (outcome === undefined || outcome.aborted || outcome.bytes !== bytesRead) {
            throw new TrackerError('INTERNAL', `the hash worker hashed ${outcome?.bytes} of ${bytesRead} bytes of ${this.path}`);
        }
        return { checksum: `sha256:${outcome.hex}`, size: bytesRead, identity: this.identity };
    }
}
