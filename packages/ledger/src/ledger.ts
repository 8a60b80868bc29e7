/**
 * The Ledger interface: what the tracker needs from a ledger backend. Implemented by the embedded
 * ledger (default) and by the Fabric Gateway backend; one conformance suite runs against both.
 * Arguments and results are strings, exactly as they travel to and from chaincode.
 */

/** Outcome of a committed transaction. */
export interface SubmitResult {
    /** The transaction id (the record id, or the prefix of batch record ids). */
    transactionId: string;
    /** Number of the block that holds the transaction. */
    blockNumber: bigint;
    /** The contract function's return value (UTF-8 text, usually canonical JSON). */
    result: string;
}

/** A chaincode event from a committed, valid transaction. */
export interface LedgerEvent {
    blockNumber: bigint;
    transactionId: string;
    eventName: string;
    /** Event payload as UTF-8 text (canonical JSON for HyperProv events). */
    payload: string;
}

export interface EventOptions {
    /** Replay from this block (inclusive); default: only events committed after the call. */
    startBlock?: bigint;
    /** Stops the iteration. */
    signal?: AbortSignal;
}

/** Summary of a ledger's state, for `status` and tests. */
export interface LedgerInfo {
    /** `embedded` or `fabric`. */
    backend: 'embedded' | 'fabric';
    /** Number of blocks (the next block number). */
    height: bigint;
    /** Set when the ledger's own files need a person's attention; absent when all is well. */
    attention?: LedgerAttention;
}

/** Something wrong with a ledger's files, said so that a user can act on it. */
export interface LedgerAttention {
    /**
     * `damaged`: the files do not hold together; writes are refused (reads too, when state is not
     * backed by the blocks) until they are repaired. `interrupted-write`: an incomplete block left
     * by a crash; nothing committed is lost and the next write cuts it off.
     */
    kind: 'damaged' | 'interrupted-write';
    /** What happened and what to do. */
    message: string;
}

export interface Ledger extends AsyncDisposable {
    /**
     * Runs a contract function as a transaction and resolves once it is committed durably.
     * Rejects with a TrackerError; on rejection nothing was committed unless the error says the
     * outcome is unknown (code TIMEOUT or LEDGER_UNAVAILABLE with a transactionId).
     */
    submit(fn: string, args: readonly string[], options?: { signal?: AbortSignal }): Promise<SubmitResult>;
    /** Runs a read-only contract function against committed state; nothing is recorded. */
    evaluate(fn: string, args: readonly string[], options?: { signal?: AbortSignal }): Promise<string>;
    /** Chaincode events of committed transactions, in commit order. Close by breaking out or aborting. */
    events(options?: EventOptions): AsyncIterable<LedgerEvent>;
    info(): Promise<LedgerInfo>;
    /** Waits for in-flight submits, then releases files and connections. Idempotent. */
    close(): Promise<void>;
}
