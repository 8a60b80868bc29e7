/** The canonical checksum format: `sha256:` followed by 64 lowercase hex digits. */

import { createHash } from 'node:crypto';
import { StoreError } from './errors.js';

/** Matches a canonical checksum, `sha256:<64 lowercase hex>`. */
export const CHECKSUM_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** True if `value` is a canonical `sha256:<hex>` checksum. */
export function isChecksum(value: unknown): value is string {
    return typeof value === 'string' && CHECKSUM_PATTERN.test(value);
}

/** Throws INVALID_ARGUMENT unless `value` is a canonical checksum. */
export function assertChecksum(value: unknown, what = 'checksum'): asserts value is string {
    if (!isChecksum(value)) {
        throw new StoreError(
            'INVALID_ARGUMENT',
            `${what} ${JSON.stringify(value)} is not of the form sha256:<64 lowercase hex digits>; pass the SHA-256 of the bytes`,
        );
    }
}

/** `sha256:<hex>` of an in-memory buffer (tests and small bodies only; big files go through the hash pool). */
export function sha256Of(bytes: Uint8Array | string): string {
    return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
