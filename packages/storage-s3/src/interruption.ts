/**
 * What can stop a put early: the caller's AbortSignal, a checksum promise that rejects, or a failed
 * part upload. Every wait inside a put races against {@link Interruption.promise}, so a stalled body
 * or a slow request never keeps a dead put alive.
 */
import { StoreError } from '@hyperprov/storage';

export interface Interruption {
    /** Rejects (never resolves) once the put must stop. Already marked as handled. */
    readonly promise: Promise<never>;
    /** Aborted together with the put: pass it to SDK requests so in-flight parts are cancelled. */
    readonly signal: AbortSignal;
    /**
     * Settles like `promise`, or rejects as soon as the put is interrupted. Use this, not
     * `Promise.race([promise, interruption.promise])`: every race leaves a reaction on the long-lived
     * interruption promise that keeps the race's result — e.g. a body chunk — alive until the put
     * ends, which retained a whole 1 GiB body in memory.
     */
    race<T>(promise: Promise<T>): Promise<T>;
    /** Stops the put with `error` (the first call wins). */
    interrupt(error: unknown): void;
    /** Throws the interruption's error if it happened. */
    throwIfInterrupted(): void;
    /** Detaches the listener on the caller's signal. */
    dispose(): void;
}

/** Watches the caller's signal and, if given, a checksum promise (a rejection means: discard the upload). */
export function watchInterruption(signal: AbortSignal | undefined, checksum: Promise<string> | undefined): Interruption {
    const controller = new AbortController();
    let reason: unknown;
    let interrupted = false;
    let rejectFn: (error: unknown) => void = () => {};
    const promise = new Promise<never>((_, reject) => {
        rejectFn = reject;
    });
    promise.catch(() => {});
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
                new StoreError('ABORTED', 'the checksum promise rejected, so the upload was discarded; nothing was stored', { cause }),
            ),
    );
    const race = <T>(promise: Promise<T>): Promise<T> =>
        new Promise<T>((resolve, reject) => {
            if (interrupted) {
                reject(reason);
                return;
            }
            const onInterrupt = (): void => reject(reason);
            controller.signal.addEventListener('abort', onInterrupt, { once: true });
            promise.then(
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
