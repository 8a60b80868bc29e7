/** Errors every ObjectStore throws; the tracker translates them into TrackerErrors. */

export type StoreErrorCode =
    /** No object under that pointer. */
    | 'NOT_FOUND'
    /** The store cannot be reached, is not mounted, is stale, or refused access. */
    | 'UNAVAILABLE'
    /** The bytes stored did not hash to the expected checksum. */
    | 'CHECKSUM_MISMATCH'
    /** The body had a different length than the expected size. */
    | 'SIZE_MISMATCH'
    /** A bad pointer, URL or option. */
    | 'INVALID_ARGUMENT'
    /** The caller aborted. */
    | 'ABORTED'
    /** Anything else. */
    | 'INTERNAL';

export class StoreError extends Error {
    readonly code: StoreErrorCode;

    constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = 'StoreError';
        this.code = code;
    }
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
    return error instanceof StoreError && (code === undefined || error.code === code);
}
