/**
 * Key layout of the S3 store (all under the store's prefix):
 * - `sha256/<hex>`: content-addressed objects; used whenever the checksum is known before the object
 *   is created (given up front, or the body fits in one part, so we can wait for the checksum
 *   promise before the single PUT). A put of bytes already there is skipped.
 * - `blobs/<uuid>`: multipart uploads whose checksum is a promise. The key of a multipart upload is
 *   fixed when it starts, before the hasher has finished, and renaming on S3 means copying every byte
 *   on the server again; so the upload completes under a random key and that key is the pointer. The
 *   record carries the checksum, so the ledger still content-addresses it.
 */
import { randomUUID } from 'node:crypto';
import { StoreError } from '@hyperprov/storage';

const CHECKSUM = /^sha256:([0-9a-f]{64})$/;

/** Returns the hex digest of a `sha256:<hex>` checksum, or throws INVALID_ARGUMENT. */
export function parseChecksum(checksum: string): string {
    const match = CHECKSUM.exec(checksum);
    if (!match?.[1]) {
        throw new StoreError('INVALID_ARGUMENT', `Checksum "${checksum}" is not of the form sha256:<64 lowercase hex digits>`);
    }
    return match[1];
}

/** Pointer of the content-addressed object holding bytes with this SHA-256. */
export function contentPointer(hex: string): string {
    return `sha256/${hex}`;
}

/** A fresh pointer for an upload whose checksum is not known yet. */
export function blobPointer(): string {
    return `blobs/${randomUUID()}`;
}

/** Checks a caller-supplied pointer (opaque, but it must stay inside the store's prefix). */
export function validatePointer(pointer: string): string {
    if (
        typeof pointer !== 'string' ||
        pointer.length === 0 ||
        pointer.length > 900 ||
        pointer.startsWith('/') ||
        pointer.includes('\\') ||
        pointer.split('/').some((part) => part === '' || part === '.' || part === '..')
    ) {
        throw new StoreError('INVALID_ARGUMENT', `"${String(pointer)}" is not a valid pointer of this store (a relative path such as sha256/<hex>)`);
    }
    return pointer;
}

/** S3 key of a pointer under the store prefix. */
export function objectKey(prefix: string, pointer: string): string {
    return prefix ? `${prefix}/${pointer}` : pointer;
}

/** Pointer of an S3 key listed under the store prefix. */
export function pointerOfKey(prefix: string, key: string): string {
    return prefix ? key.slice(prefix.length + 1) : key;
}
