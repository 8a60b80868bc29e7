/**
 * Our own multipart part loop over a small pool of reused buffers. Measured against lib-storage's
 * `Upload` (see bench/s3-upload.mjs): lib-storage copies every part into a fresh buffer and the SDK
 * then SHA-256-hashes each part again to sign it; here each byte is copied once into a pooled
 * buffer, protected by a native CRC32 part checksum (x-amz-checksum-crc32, verified by the server)
 * and sent with an unsigned payload. Memory per upload: (queueSize + 1) × partSize.
 */
import { crc32 } from 'node:zlib';
import {
    AbortMultipartUploadCommand,
    CompleteMultipartUploadCommand,
    CreateMultipartUploadCommand,
    HeadObjectCommand,
    UploadPartCommand,
    type CompletedPart,
    type S3Client,
} from '@aws-sdk/client-s3';
import { StoreError } from '@hyperprov/storage';
import type { Interruption } from './interruption.js';
import type { PartReader } from './part-reader.js';
import { acquirePartBuffer, releasePartBuffers } from './part-buffers.js';

/** S3 allows at most this many parts per upload. */
const MAX_PARTS = 10_000;

/** Sends of one part the server rejected as corrupted, before the upload fails with CHECKSUM_MISMATCH. */
const CORRUPT_PART_ATTEMPTS = 3;

function isChecksumRejection(error: unknown): boolean {
    const name = (error as { name?: string }).name;
    return name === 'BadDigest' || name === 'XAmzContentChecksumMismatch' || name === 'InvalidDigest';
}

/** Base64 of the big-endian CRC32 of `bytes`, as S3 expects in x-amz-checksum-crc32. */
export function crc32Base64(bytes: Uint8Array): string {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(crc32(bytes) >>> 0, 0);
    return out.toString('base64');
}

export interface MultipartTarget {
    client: S3Client;
    bucket: string;
    key: string;
    partSize: number;
    queueSize: number;
}

export interface PartLoopHooks {
    /** Sees every byte in order, before it is sent (e.g. a SHA-256 verifying the expected checksum). */
    onBytes?: (bytes: Uint8Array) => void;
    /** Total bytes read so far; throw to stop the upload (e.g. body longer than the expected size). */
    onRead?: (total: number) => void;
    /** Total bytes the server acknowledged so far. */
    onProgress?: (uploaded: number) => void;
}

/** An open multipart upload; {@link complete} or {@link abort} it, exactly once. */
export interface OpenMultipartUpload {
    readonly uploadId: string;
    readonly size: number;
    complete(): Promise<void>;
    abort(): Promise<void>;
}

/**
 * Uploads the whole body as parts of an upload started on `target.key`. `first` is the already-filled
 * first part (the caller read it to decide between a single PUT and multipart). Resolves once every
 * part is stored; the object stays invisible until `complete()`. On failure the upload is aborted on
 * the server before the returned promise rejects.
 */
export async function uploadParts(
    target: MultipartTarget,
    reader: PartReader,
    first: Buffer,
    interruption: Interruption,
    hooks: PartLoopHooks = {},
): Promise<OpenMultipartUpload> {
    const { client, bucket, key, partSize, queueSize } = target;
    const created = await interruption.race(
        client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: 'CRC32' }), {
            abortSignal: interruption.signal,
        }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new StoreError('INTERNAL', `S3 returned no UploadId for ${key}`);

    let aborted = false;
    const abort = async (): Promise<void> => {
        if (aborted) return;
        aborted = true;
        try {
            // Its own request, not tied to the (possibly aborted) put signal; the SDK retries it.
            await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
        } catch (error) {
            // NoSuchUpload: already gone. Anything else: the stale-upload sweep on open removes it later.
            if ((error as { name?: string }).name !== 'NoSuchUpload') {
                process.emitWarning(`could not abort multipart upload ${uploadId} of ${key}: ${(error as Error).message}`);
            }
        }
    };

    const parts: CompletedPart[] = [];
    const free: Buffer[] = [];
    let buffersMade = 1;
    const inFlight = new Set<Promise<void>>();
    let uploaded = 0;
    let total = 0;

    const sendPart = async (partNumber: number, buffer: Buffer, length: number): Promise<void> => {
        const body = buffer.subarray(0, length);
        const command = new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
            ContentLength: length,
            ChecksumCRC32: crc32Base64(body),
        });
        let result;
        for (let attempt = 1; ; attempt++) {
            try {
                result = await client.send(command, { abortSignal: interruption.signal });
                break;
            } catch (error) {
                // The server found the part corrupted on the way (its CRC32 did not match). The SDK
                // does not retry a 400, but we still hold the intact bytes: send them again.
                if (attempt >= CORRUPT_PART_ATTEMPTS || !isChecksumRejection(error)) throw error;
            }
        }
        parts[partNumber - 1] = { PartNumber: partNumber, ETag: result.ETag, ChecksumCRC32: result.ChecksumCRC32 };
        uploaded += length;
        hooks.onProgress?.(uploaded);
    };

    try {
        let partNumber = 0;
        let buffer: Buffer | undefined = first;
        let length = first.length;
        for (;;) {
            // `buffer` holds `length` bytes, the next part; read one chunk ahead to know if it is the last.
            hooks.onBytes?.(buffer.subarray(0, length));
            total += length;
            hooks.onRead?.(total);
            partNumber += 1;
            if (partNumber > MAX_PARTS) {
                throw new StoreError(
                    'INVALID_ARGUMENT',
                    `the body needs more than ${MAX_PARTS} parts of ${partSize} bytes; configure a larger partSize`,
                );
            }
            const part = buffer;
            const task: Promise<void> = sendPart(partNumber, part, length).then(
                () => {
                    inFlight.delete(task);
                    free.push(part);
                },
                (error: unknown) => {
                    inFlight.delete(task);
                    interruption.interrupt(error);
                },
            );
            inFlight.add(task);
            buffer = undefined;
            if (length < partSize || (await reader.atEnd())) break;

            // Wait for a free buffer: at most queueSize parts in flight plus the one being filled.
            while (free.length === 0 && buffersMade > queueSize) {
                await interruption.race(Promise.race(inFlight));
            }
            interruption.throwIfInterrupted();
            buffer = free.pop() ?? (buffersMade++, acquirePartBuffer(partSize));
            length = await reader.fill(buffer);
        }
        while (inFlight.size > 0) {
            await interruption.race(Promise.race(inFlight));
        }
        interruption.throwIfInterrupted();
        // Every part completed, so no request reads these any more: keep them for the next put.
        releasePartBuffers(free.splice(0));
    } catch (error) {
        // Let in-flight parts fail fast, then remove the upload so no parts linger on the server.
        interruption.interrupt(error);
        await Promise.allSettled(inFlight);
        await abort();
        throw error;
    }

    return {
        uploadId,
        size: total,
        abort,
        complete: async () => {
            try {
                await client.send(
                    new CompleteMultipartUploadCommand({
                        Bucket: bucket,
                        Key: key,
                        UploadId: uploadId,
                        MultipartUpload: { Parts: parts },
                    }),
                );
            } catch (error) {
                // The server may have completed it and only the answer was lost (the SDK's retry then
                // meets NoSuchUpload): the object is there, whole, under our key.
                if (await holdsObject(client, bucket, key, total)) return;
                await abort();
                throw error;
            }
        },
    };
}

async function holdsObject(client: S3Client, bucket: string, key: string, size: number): Promise<boolean> {
    try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return head.ContentLength === size;
    } catch {
        return false;
    }
}
