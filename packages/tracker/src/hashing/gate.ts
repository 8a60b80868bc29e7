/** A counting semaphore with a bounded FIFO queue and AbortSignal support (the pool's admission). */

import { TrackerError } from '@hyperprov/errors';

interface Waiter {
    resolve(): void;
    reject(error: TrackerError): void;
    signal: AbortSignal | undefined;
    onAbort: () => void;
}

/** Admits at most `capacity` holders; up to `maxQueue` more wait in order. */
export class Gate {
    readonly #capacity: number;
    readonly #maxQueue: number;
    readonly #queue: Waiter[] = [];
    readonly #abortError: (signal: AbortSignal) => TrackerError;
    #holders = 0;

    constructor(capacity: number, maxQueue: number, abortError: (signal: AbortSignal) => TrackerError) {
        this.#capacity = capacity;
        this.#maxQueue = maxQueue;
        this.#abortError = abortError;
    }

    /** Waiters only. */
    get waiting(): number {
        return this.#queue.length;
    }

    /** Holders plus waiters. */
    get load(): number {
        return this.#holders + this.#queue.length;
    }

    /** Resolves when admitted; the caller must call release() exactly once afterwards. */
    acquire(signal?: AbortSignal): Promise<void> {
        if (signal?.aborted) return Promise.reject(this.#abortError(signal));
        if (this.#holders < this.#capacity) {
            this.#holders++;
            return Promise.resolve();
        }
        if (this.#queue.length >= this.#maxQueue) {
            return Promise.reject(
                new TrackerError('INTERNAL', `the hash queue is full (${this.#maxQueue} files waiting); wait for earlier files or raise maxQueue`),
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
                    reject(this.#abortError(signal!));
                },
            };
            signal?.addEventListener('abort', waiter.onAbort, { once: true });
            this.#queue.push(waiter);
        });
    }

    /** Hands the place to the next waiter, or frees it. */
    release(): void {
        const next = this.#queue.shift();
        if (next === undefined) {
            this.#holders--;
            return;
        }
        next.signal?.removeEventListener('abort', next.onAbort);
        next.resolve();
    }
}
