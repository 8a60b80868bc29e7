import { StoreError } from '@hyperprov/storage';
import { describe, expect, it } from 'vitest';
import { toStoreError } from './s3-errors.js';

const context = { operation: 'put', bucket: 'models', key: 'p/sha256/ab', endpoint: 'http://127.0.0.1:9000' };

function aws(name: string, status?: number, fault?: 'client' | 'server'): Error {
    return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, $fault: fault });
}

describe('toStoreError', () => {
    it.each([
        ['NoSuchKey', 404, 'NOT_FOUND'],
        ['NotFound', 404, 'NOT_FOUND'],
        ['NoSuchBucket', 404, 'UNAVAILABLE'],
        ['AccessDenied', 403, 'UNAVAILABLE'],
        ['InvalidAccessKeyId', 403, 'UNAVAILABLE'],
        ['SignatureDoesNotMatch', 403, 'UNAVAILABLE'],
        ['BadDigest', 400, 'CHECKSUM_MISMATCH'],
        ['XAmzContentChecksumMismatch', 400, 'CHECKSUM_MISMATCH'],
        ['SlowDown', 503, 'UNAVAILABLE'],
        ['InternalError', 500, 'UNAVAILABLE'],
        ['InvalidArgument', 400, 'INVALID_ARGUMENT'],
        ['AbortError', undefined, 'ABORTED'],
        ['SomethingNew', 400, 'INTERNAL'],
    ] as const)('%s (%s) -> %s', (name, status, code) => {
        const error = toStoreError(aws(name, status), context);
        expect(error).toBeInstanceOf(StoreError);
        expect(error.code).toBe(code);
        expect((error as Error).cause).toBeInstanceOf(Error);
    });

    it('network errors are UNAVAILABLE and name the endpoint', () => {
        const error = toStoreError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), context);
        expect(error.code).toBe('UNAVAILABLE');
        expect(error.message).toContain('http://127.0.0.1:9000');
        expect(error.message).toMatch(/reachable/);
    });

    it('credential errors say what to check', () => {
        expect(toStoreError(aws('InvalidAccessKeyId', 403), context).message).toMatch(/AWS_ACCESS_KEY_ID/);
    });

    it('a missing bucket says to create it', () => {
        expect(toStoreError(aws('NoSuchBucket', 404), context).message).toMatch(/bucket "models" does not exist.*create it/);
    });

    it('a 404 without a name is NOT_FOUND only for object operations', () => {
        expect(toStoreError(aws('', 404), context).code).toBe('NOT_FOUND');
        expect(toStoreError(aws('', 404), { operation: 'list', bucket: 'models' }).code).toBe('INTERNAL');
    });

    it('passes StoreErrors through unchanged', () => {
        const original = new StoreError('SIZE_MISMATCH', 'too long');
        expect(toStoreError(original, context)).toBe(original);
    });
});
