/** Translation of node:fs errors into StoreErrors: the one boundary for filesystem-backed stores. */

import { StoreError, type StoreErrorCode } from './errors.js';

/** errno codes that mean "the storage itself is not usable right now", not "your request is wrong". */
const UNAVAILABLE_CODES = new Set([
    'EACCES',
    'EPERM',
    'EROFS',
    'ENOSPC',
    'EDQUOT',
    'EIO',
    'ENOTCONN',
    'ESTALE',
    'ETIMEDOUT',
    'EHOSTDOWN',
    'ECONNABORTED',
    'ENXIO',
    'ENODEV',
    'ENOTDIR',
]);

/** Node's errno code of a system error, if it is one. */
export function errnoCode(error: unknown): string | undefined {
    if (typeof error === 'object' && error !== null && 'code' in error) {
        const code = (error as { code: unknown }).code;
        return typeof code === 'string' ? code : undefined;
    }
    return undefined;
}

/**
 * Wraps a foreign error as a StoreError (StoreErrors pass through). `what` names the operation and
 * object, e.g. `read sha256/ab/cd…`, so the message says what failed.
 */
export function toStoreError(error: unknown, what: string): StoreError {
    if (error instanceof StoreError) return error;
    const code = errnoCode(error);
    let storeCode: StoreErrorCode = 'INTERNAL';
    let hint = 'this is unexpected; report it with the cause below';
    if (code === 'ENOENT') {
        storeCode = 'NOT_FOUND';
        hint = 'the object does not exist in this store';
    } else if (code === 'ABORT_ERR' || (error instanceof Error && error.name === 'AbortError')) {
        storeCode = 'ABORTED';
        hint = 'the operation was aborted';
    } else if (code !== undefined && UNAVAILABLE_CODES.has(code)) {
        storeCode = 'UNAVAILABLE';
        hint = 'check that the store directory exists, is mounted, writable and not full';
    }
    const detail = error instanceof Error ? error.message : String(error);
    return new StoreError(storeCode, `${what} failed: ${detail} (${hint})`, { cause: error });
}
