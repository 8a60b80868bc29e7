/**
 * The storage boundary of the tracker: StoreErrors (and stray fs errors) thrown by an ObjectStore
 * become TrackerErrors here, with the original as `cause`.
 */
import { isStoreError, type StoreErrorCode } from '@hyperprov/storage';
import { TrackerError, type TrackerErrorCode } from '@hyperprov/errors';

const CODES: Readonly<Record<StoreErrorCode, TrackerErrorCode>> = {
    NOT_FOUND: 'NOT_FOUND',
    UNAVAILABLE: 'STORE_UNAVAILABLE',
    CHECKSUM_MISMATCH: 'CHECKSUM_MISMATCH',
    SIZE_MISMATCH: 'CHECKSUM_MISMATCH',
    INVALID_ARGUMENT: 'INVALID_ARGUMENT',
    ABORTED: 'ABORTED',
    INTERNAL: 'INTERNAL',
};

/** Translates an error from a store operation; `what` says which store/object, for the message. */
export function fromStoreError(error: unknown, what: string): TrackerError {
    if (error instanceof TrackerError) return error;
    if (isStoreError(error)) return new TrackerError(CODES[error.code], `${what}: ${error.message}`, { cause: error });
    if ((error as Error)?.name === 'AbortError') return new TrackerError('ABORTED', `${what}: aborted`, { cause: error });
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT') return new TrackerError('NOT_FOUND', `${what}: no such file`, { cause: error });
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOTCONN' || code === 'EIO' || code === 'ENOSPC') {
        return new TrackerError('STORE_UNAVAILABLE', `${what}: ${(error as Error).message}`, { cause: error });
    }
    return new TrackerError('INTERNAL', `${what}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}
