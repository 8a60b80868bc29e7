/** The SDK client as this store configures it. */
import { S3Client } from '@aws-sdk/client-s3';
import type { ResolvedS3StoreOptions } from './s3-store-options.js';

const CONTENT_SHA256 = 'x-amz-content-sha256';

/**
 * Creates the S3 client. Two settings matter for speed:
 * - checksums are computed by us (native CRC32 per part, SHA-256 for single PUTs), never by the
 *   SDK's JavaScript implementations (`WHEN_REQUIRED`);
 * - a request that carries an `x-amz-checksum-*` header is signed with `UNSIGNED-PAYLOAD`: the
 *   server verifies the bytes against that checksum anyway, while a signed payload would make the
 *   SDK hash every part with SHA-256 a second time on plain-http endpoints such as MinIO.
 */
export function createS3Client(options: ResolvedS3StoreOptions): S3Client {
    const client = new S3Client({
        region: options.region,
        ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
        forcePathStyle: options.forcePathStyle,
        ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
        maxAttempts: options.maxAttempts,
        retryMode: 'standard',
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
    });
    client.middlewareStack.add(
        (next) => async (args) => {
            const request = args.request as { headers?: Record<string, string> };
            const headers = request.headers;
            if (headers && !Object.keys(headers).some((name) => name.toLowerCase() === CONTENT_SHA256) && Object.keys(headers).some((name) => name.toLowerCase().startsWith('x-amz-checksum-'))) {
                headers[CONTENT_SHA256] = 'UNSIGNED-PAYLOAD';
            }
            return next(args);
        },
        { step: 'build', name: 'hyperprovUnsignedChecksummedPayload' },
    );
    return client;
}
