/**
 * The one boundary where AWS SDK and network errors become StoreErrors. Everything in this package
 * that talks to S3 funnels its failures through {@link toStoreError}.
 */
import { StoreError, type StoreErrorCode } from '@hyperprov/storage';

/** What the failing operation was about, to make the message actionable. */
export interface S3ErrorContext {
    /** e.g. `put`, `get`, `stat` */
    operation: string;
    bucket: string;
    key?: string;
    endpoint?: string;
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchVersion']);
const CREDENTIALS = new Set([
    'AccessDenied',
    'InvalidAccessKeyId',
    'SignatureDoesNotMatch',
    'ExpiredToken',
    'InvalidToken',
    'CredentialsProviderError',
    'TokenRefreshRequired',
    'AuthorizationHeaderMalformed',
    'RequestTimeTooSkewed',
]);
const CHECKSUM = new Set(['BadDigest', 'InvalidDigest', 'XAmzContentChecksumMismatch', 'XAmzContentSHA256Mismatch']);
const NETWORK_CODES = new Set([
    'ECONNREFUSED',
    'ECONNRESET',
    'ENOTFOUND',
    'EAI_AGAIN',
    'ETIMEDOUT',
    'EPIPE',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'UND_ERR_SOCKET',
]);

interface AwsLikeError {
    name?: string;
    code?: string;
    Code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    $fault?: 'client' | 'server';
}

/** Translates any error thrown while talking to S3 into a StoreError with a next step in its message. */
export function toStoreError(error: unknown, context: S3ErrorContext): StoreError {
    if (error instanceof StoreError) return error;
    const e = (typeof error === 'object' && error !== null ? error : {}) as AwsLikeError;
    const name = e.name ?? e.Code ?? '';
    const code = e.code ?? '';
    const status = e.$metadata?.httpStatusCode;
    const where = `s3://${context.bucket}${context.key ? `/${context.key}` : ''}`;
    const detail = e.message ? `: ${e.message}` : '';
    const make = (storeCode: StoreErrorCode, message: string) => new StoreError(storeCode, message, { cause: error });

    if (name === 'AbortError' || code === 'ABORT_ERR') {
        return make('ABORTED', `S3 ${context.operation} of ${where} was aborted`);
    }
    if (name === 'NoSuchBucket') {
        return make(
            'UNAVAILABLE',
            `S3 bucket "${context.bucket}" does not exist${context.endpoint ? ` at ${context.endpoint}` : ''}; create it or fix the store URL`,
        );
    }
    if (NOT_FOUND.has(name) || (status === 404 && context.key !== undefined)) {
        return make('NOT_FOUND', `No object at ${where}`);
    }
    if (CREDENTIALS.has(name) || status === 403 || status === 401) {
        return make(
            'UNAVAILABLE',
            `S3 refused ${context.operation} of ${where} (${name || status})${detail}; check the credentials ` +
                '(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE), their permissions on the bucket, and the clock',
        );
    }
    if (CHECKSUM.has(name)) {
        return make('CHECKSUM_MISMATCH', `S3 rejected the bytes of ${where} as corrupted (${name}); retry the upload`);
    }
    if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name) || name === 'TimeoutError' || name === 'RequestTimeout') {
        return make(
            'UNAVAILABLE',
            `Cannot reach S3${context.endpoint ? ` at ${context.endpoint}` : ''} for ${context.operation} of ${where} ` +
                `(${code || name})${detail}; check that the endpoint is up and reachable, then retry`,
        );
    }
    if (e.$fault === 'server' || (status !== undefined && status >= 500) || name === 'SlowDown' || name === 'ServiceUnavailable') {
        return make(
            'UNAVAILABLE',
            `S3 failed ${context.operation} of ${where} after retries (${name || status})${detail}; try again later`,
        );
    }
    if (name === 'InvalidArgument' || name === 'InvalidRequest' || name === 'KeyTooLongError' || name === 'EntityTooLarge') {
        return make('INVALID_ARGUMENT', `S3 rejected ${context.operation} of ${where} (${name})${detail}`);
    }
    return make('INTERNAL', `S3 ${context.operation} of ${where} failed (${name || code || 'unknown error'})${detail}`);
}
