/**
 * Cleanup of multipart uploads left behind by processes that died mid-put (kill -9, power loss).
 * Their parts are invisible to readers but take space (and cost money on AWS) until aborted.
 */
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * Aborts every multipart upload under `keyPrefix` that was initiated more than `olderThanMs` ago.
 * Returns the keys of the uploads it aborted. Younger uploads may belong to live writers and are kept.
 */
export async function abortStaleUploads(
    client: S3Client,
    bucket: string,
    keyPrefix: string,
    olderThanMs: number,
    now = Date.now(),
): Promise<string[]> {
    const aborted: string[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
        const page = await client.send(
            // No Prefix: MinIO treats it as an exact key, not a prefix, so we filter here instead.
            new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
        for (const upload of page.Uploads ?? []) {
            if (!upload.Key?.startsWith(keyPrefix) || !upload.UploadId || !upload.Initiated) continue;
            if (now - upload.Initiated.getTime() < olderThanMs) continue;
            try {
                await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }));
                aborted.push(upload.Key);
            } catch (error) {
                if ((error as { name?: string }).name !== 'NoSuchUpload') throw error;
            }
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
    return aborted;
}
