/**
 * A Ledger that opens its backend on first use and can let go of it between uses. The embedded
 * ledger serves one process at a time, so a CLI command that spends minutes uploading bytes
 * releases it meanwhile: other commands (a `get`, another `record`) can use it, and the upload's
 * own transaction reopens it when the bytes are durable.
 */
import { TrackerError } from '@hyperprov/errors';
import type { EventOptions, Ledger, LedgerEvent, LedgerInfo, SubmitResult } from '@hyperprov/ledger';

/** A {@link Ledger} with {@link ReleasableLedger.release}. */
export interface ReleasableLedger<L extends Ledger = Ledger> extends Ledger {
    /** Closes the backend once in-flight calls finish; the next call opens it again. */
    release(): Promise<void>;
    /** Runs `fn` with the open backend (opening it if needed), e.g. for backend-specific calls. */
    use<T>(fn: (ledger: L) => Promise<T>): Promise<T>;
}

/** Wraps an opener; nothing is opened until the first call. */
export function createReleasableLedger<L extends Ledger>(open: () => Promise<L>): ReleasableLedger<L> {
    return new Releasable(open);
}

class Releasable<L extends Ledger> implements ReleasableLedger<L> {
    #opening: Promise<L> | undefined;
    #inFlight = 0;
    #idle: (() => void)[] = [];
    #closed = false;

    constructor(private readonly opener: () => Promise<L>) {}

    async use<T>(fn: (ledger: L) => Promise<T>): Promise<T> {
        if (this.#closed) throw new TrackerError('LEDGER_UNAVAILABLE', 'the ledger was closed; open the tracker again');
        this.#inFlight++;
        try {
            return await fn(await this.#open());
        } finally {
            this.#inFlight--;
            if (this.#inFlight === 0) for (const wake of this.#idle.splice(0)) wake();
        }
    }

    submit(fn: string, args: readonly string[], options?: { signal?: AbortSignal }): Promise<SubmitResult> {
        return this.use((ledger) => ledger.submit(fn, args, options));
    }

    evaluate(fn: string, args: readonly string[], options?: { signal?: AbortSignal }): Promise<string> {
        return this.use((ledger) => ledger.evaluate(fn, args, options));
    }

    async *events(options?: EventOptions): AsyncIterable<LedgerEvent> {
        // Holds the backend for as long as the caller iterates.
        const ledger = await this.#open();
        this.#inFlight++;
        try {
            yield* ledger.events(options);
        } finally {
            this.#inFlight--;
            if (this.#inFlight === 0) for (const wake of this.#idle.splice(0)) wake();
        }
    }

    info(): Promise<LedgerInfo> {
        return this.use((ledger) => ledger.info());
    }

    async release(): Promise<void> {
        while (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
        const opening = this.#opening;
        this.#opening = undefined;
        if (opening) await (await opening.catch(() => undefined))?.close();
    }

    async close(): Promise<void> {
        if (this.#closed) return;
        await this.release();
        this.#closed = true;
    }

    [Symbol.asyncDispose](): Promise<void> {
        return this.close();
    }

    #open(): Promise<L> {
        if (!this.#opening) {
            const opening = this.opener();
            this.#opening = opening;
            // A failed open is not kept: the next call tries again.
            opening.catch(() => {
                if (this.#opening === opening) this.#opening = undefined;
            });
        }
        return this.#opening;
    }
}
