/**
 * The one error type the tracker throws. Every foreign error (contract, LevelDB, gRPC, S3, fs) is
 * translated into a TrackerError at one boundary, with the original kept as `cause`.
 */

/** Closed set of error codes. The CLI maps each to an exit code. */
export type TrackerErrorCode =
    /** Bad user input: malformed key, checksum, JSON, oversize meta, unknown option. */
    | 'INVALID_ARGUMENT'
    /** A key, record id or object does not exist. */
    | 'NOT_FOUND'
    /** A dependency id given for a new record is not on the ledger. */
    | 'DEPENDENCY_NOT_FOUND'
    /** Bytes do not match the recorded checksum. */
    | 'CHECKSUM_MISMATCH'
    /** The ledger's blocks or state failed verification. */
    | 'LEDGER_CORRUPT'
    /** The ledger cannot be reached or opened (network down, locked by another process). */
    | 'LEDGER_UNAVAILABLE'
    /** The object store cannot be reached, is not mounted, or refused the operation. */
    | 'STORE_UNAVAILABLE'
    /** No `.hyperprov/` here: run `hyperprov init`. */
    | 'NOT_INITIALIZED'
    /** Something that must not exist already does (e.g. `init` twice, an output file). */
    | 'ALREADY_EXISTS'
    /** A file changed while it was being read. */
    | 'FILE_CHANGED'
    /** A concurrent write conflicted (e.g. Fabric MVCC); retrying may succeed. */
    | 'CONFLICT'
    /** An operation did not finish in time. */
    | 'TIMEOUT'
    /** The operation was aborted by the caller. */
    | 'ABORTED'
    /** Reading or writing a local file or stream failed (disk full, device error), e.g. the CLI's stdout. */
    | 'IO_ERROR'
    /** The ledger or a CA refused who is asking: unknown identity, wrong secret, missing rights. */
    | 'PERMISSION_DENIED'
    /** A bug or an unexpected failure. */
    | 'INTERNAL';

export const TRACKER_ERROR_CODES: readonly TrackerErrorCode[] = [
    'INVALID_ARGUMENT',
    'NOT_FOUND',
    'DEPENDENCY_NOT_FOUND',
    'CHECKSUM_MISMATCH',
    'LEDGER_CORRUPT',
    'LEDGER_UNAVAILABLE',
    'STORE_UNAVAILABLE',
    'NOT_INITIALIZED',
    'ALREADY_EXISTS',
    'FILE_CHANGED',
    'CONFLICT',
    'TIMEOUT',
    'ABORTED',
    'IO_ERROR',
    'PERMISSION_DENIED',
    'INTERNAL',
];

export interface TrackerErrorOptions {
    cause?: unknown;
    /** Transaction id involved, when there is one. */
    transactionId?: string;
}

export class TrackerError extends Error {
    readonly code: TrackerErrorCode;
    readonly transactionId?: string;

    constructor(code: TrackerErrorCode, message: string, options: TrackerErrorOptions = {}) {
        super(message, options.cause === undefined ? undefined : { cause: options.cause });
        this.name = 'TrackerError';
        this.code = code;
        if (options.transactionId !== undefined) this.transactionId = options.transactionId;
    }
}

export function isTrackerError(error: unknown, code?: TrackerErrorCode): error is TrackerError {
    return error instanceof TrackerError && (code === undefined || error.code === code);
}
