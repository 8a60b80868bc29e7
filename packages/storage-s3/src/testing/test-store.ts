/** Opens S3 stores on the test server under fresh prefixes, and inspects what the server holds. */
import { randomUUID } from 'node:crypto';
import { DeleteObjectsCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createS3Store, type S3ObjectStore } from '../s3-store.js';
import type { S3StoreOptions } from '../s3-store-options.js';
import type { S3TestServerInfo } from './minio-server.js';

export interface S3TestTarget extends S3TestServerInfo {
    bucket: string;
}

/** A raw SDK client with the test server's root credentials, to look behind the store's back. */
export function rawClient(target: S3TestTarget): S3Client {
    return new S3Client({
        endpoint: target.endpoint,
        region: target.region,
        forcePathStyle: true,
        credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    });
}

/** A store under a fresh random prefix of the test bucket. */
export function openTestStore(target: S3TestTarget, options: Partial<S3StoreOptions> = {}): S3ObjectStore {
    return createS3Store({
        bucket: target.bucket,
        prefix: `test/${randomUUID()}`,
        endpoint: target.endpoint,
        region: target.region,
        credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
        ...options,
    });
}

/** Keys of all objects under `prefix`, straight from the server. */
export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
}

/** Keys of unfinished multipart uploads under `prefix` (filtered here: MinIO takes Prefix as an exact key). */
export async function listUploads(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
        const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
        for (const upload of page.Uploads ?? []) if (upload.Key?.startsWith(prefix)) keys.push(upload.Key);
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
    return keys;
}

/** Deletes every object under `prefix`. */
export async function emptyPrefix(client: S3Client, bucket: string, prefix: string): Promise<void> {
    const keys = await listKeys(client, bucket, prefix);
    for (let i = 0; i < keys.length; i += 1000) {
        await client.send(
            new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } }),
        );
    }
}
