/**
 * Reading a put body with interruption: a store waiting for the next chunk must still notice an
 * abort or a withdrawn checksum promptly, even if the body itself stalls.
 */

import { Readable } from 'node:stream';
import { StoreError } from './errors.js';

/** A put body: a Readable or any async iterable of byte chunks. */
export type PutBody = Readable | AsyncIterable<Uint8Array>;

/**
 * What can stop a put early: the caller's AbortSignal, a checksum promise that rejects, or the store
 * itself (e.g. a failed part upload). Every wait inside a put goes through {@link Interruption.race},
 * so a stalled body or a slow request never keeps a dead put alive.
 */
export interface Interruption {
    /** Rejects (never resolves) once the put must stop. Already marked as handled. */
    readonly promise: Promise<never>;
    /** Aborted together with the put: pass it to requests so in-flight work is cancelled. */
    readonly signal: AbortSignal;
    /**
     * Settles like `promise`, or rejects as soon as the put is interrupted. Use this, not
     * `Promise.race([promise, interruption.promise])`: every such race leaves a reaction on the
     * long-lived interruption promise that keeps the race's result (a body chunk) alive until the
     * put ends, which retained a whole 1 GiB body in memory.
     */
    race<T>(promise: Promise<T>): Promise<T>;
    /** Stops the put with `error` (the first call wins). */
    interrupt(error: unknown): void;
    /** Throws the interruption's error now if it has already happened. */
    throwIfInterrupted(): void;
    /** Detaches the listener on the caller's signal; call once the put is over. */
    dispose(): void;
}

/**
 * Watches `signal` and, if given, a checksum promise. The put rejects with ABORTED in both cases;
 * a rejected checksum keeps its reason as `cause` (the caller withdrew the bytes it was streaming).
 */
export function watchInterruption(signal: AbortSignal | undefined, checksum: Promise<string> | undefined): Interruption {
    const controller = new AbortController();
    let reason: unknown;
    let interrupted = false;
    let rejectFn: (error: unknown) => void = () => {};
    const promise = new Promise<never>((_, reject) => {
        rejectFn = reject;
    });
    promise.catch(() => {}); // observed through race(); never an unhandled rejection
    const interrupt = (error: unknown): void => {
        if (interrupted) return;
        interrupted = true;
        reason = error;
        rejectFn(error);
        controller.abort(error);
    };
    const onAbort = (): void =>
        interrupt(new StoreError('ABORTED', 'the put was aborted by the caller; nothing was stored', { cause: signal?.reason }));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    checksum?.then(
        () => {},
        (cause: unknown) =>
            interrupt(
                new StoreError('ABORTED', 'the checksum promise rejected, so the upload was discarded; nothing was stored', {
                    cause,
                }),
            ),
    );
    const race = <T>(inner: Promise<T>): Promise<T> =>
        new Promise<T>((resolve, reject) => {
            if (interrupted) {
                reject(reason);
                return;
            }
            // A listener removed once `inner` settles: nothing keeps `inner`'s value reachable.
            const onInterrupt = (): void => reject(reason);
            controller.signal.addEventListener('abort', onInterrupt, { once: true });
            inner.then(
                (value) => {
                    controller.signal.removeEventListener('abort', onInterrupt);
                    resolve(value);
                },
                (error: unknown) => {
                    controller.signal.removeEventListener('abort', onInterrupt);
                    reject(error);
                },
            );
        });
    return {
        promise,
        signal: controller.signal,
        race,
        interrupt,
        throwIfInterrupted() {
            if (interrupted) throw reason;
        },
        dispose() {
            signal?.removeEventListener('abort', onAbort);
        },
    };
}

/**
 * Yields the body's chunks as Uint8Arrays, racing every read against `interruption`. When the
 * consumer stops early or is interrupted, the body is released (a Readable is destroyed, an
 * iterator is returned) so no file descriptor or producer is left waiting.
 */
export async function* readBody(body: PutBody, interruption: Interruption): AsyncGenerator<Uint8Array, void, undefined> {
    const iterator = (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
    let finished = false;
    try {
        for (;;) {
            interruption.throwIfInterrupted();
            const next = await interruption.race(iterator.next());
            if (next.done) {
                finished = true;
                return;
            }
            const chunk = next.value;
            yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        }
    } finally {
        if (!finished) {
            if (body instanceof Readable) body.destroy();
            // Not awaited: a generator suspended in its own await only returns once that settles.
            iterator.return?.()?.catch?.(() => {});
        }
    }
}

/** Releases a body that will not be read (e.g. the store already holds the bytes). */
export function discardBody(body: PutBody): void {
    if (body instanceof Readable) {
        body.destroy();
        return;
    }
    const iterator = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    iterator.return?.()?.catch?.(() => {});
}
