/**
 * Operations a store has under way, so that `close()` can wait for them and refuse new ones — the
 * close() contract every ObjectStore keeps (see object-store.ts).
 */
export class InFlight {
    readonly #operations = new Set<Promise<unknown>>();

    /**
     * @param refusal returns the error to refuse new operations with (the store is closing or
     *   closed), or undefined while the store is open.
     */
    constructor(private readonly refusal: () => Error | undefined) {}

    /** Runs `operation` tracked; once the store refuses work, rejects at once (after `onRefused`). */
    track<T>(operation: () => Promise<T>, onRefused?: () => void): Promise<T> {
        const refused = this.refusal();
        if (refused !== undefined) {
            onRefused?.();
            return Promise.reject(refused);
        }
        const promise = operation();
        const tracked = promise.finally(() => this.#operations.delete(tracked));
        tracked.catch(() => {}); // the caller observes `promise`; this copy only tracks it
        this.#operations.add(tracked);
        return promise;
    }

    /** Resolves once nothing is under way, including operations started while waiting. */
    async settled(): Promise<void> {
        while (this.#operations.size > 0) await Promise.allSettled([...this.#operations]);
    }
}
