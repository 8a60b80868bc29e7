/**
 * The S3 ObjectStore. Objects become visible only through one atomic S3 operation (a single PUT or
 * CompleteMultipartUpload) issued after the size and checksum were confirmed; every failure path
 * aborts the multipart upload, so nothing partial is ever listed or readable.
 *
 * A put whose content address is already taken is skipped only once the object there proved
 * intact (size, and bytes up to `verifyExistingUpTo`); a damaged one is overwritten by the put,
 * which on S3 replaces an object atomically. One case is not repaired in place: a multipart put
 * whose checksum was only known at the end went up under a random key, and is kept there (its
 * record points at good bytes; the damaged content-addressed copy stays for `verify` to report).
 */
import { createHash } from 'node:crypto';
import { addAbortSignal, Readable } from 'node:stream';
import {
    DeleteObjectCommand,
    GetObjectCommand,
    HeadObjectCommand,
    ListObjectsV2Command,
    PutObjectCommand,
    type S3Client,
} from '@aws-sdk/client-s3';
import { InFlight, StoreError, type GetOptions, type ObjectInfo, type ObjectStore, type PutOptions, type PutResult } from '@hyperprov/storage';
import { watchInterruption, type Interruption } from './interruption.js';
import { uploadParts } from './multipart-upload.js';
import { blobPointer, contentPointer, objectKey, parseChecksum, pointerOfKey, validatePointer } from './object-keys.js';
import { PartReader, type PutBody } from './part-reader.js';
import { createS3Client } from './s3-client.js';
import { toStoreError, type S3ErrorContext } from './s3-errors.js';
import { resolveS3StoreOptions, type ResolvedS3StoreOptions, type S3StoreOptions } from './s3-store-options.js';
import { abortStaleUploads } from './stale-uploads.js';
import { acquirePartBuffer, releasePartBuffers } from './part-buffers.js';

/** An ObjectStore on one S3 bucket and prefix, plus S3-specific maintenance. */
export interface S3ObjectStore extends ObjectStore {
    readonly bucket: string;
    /** Key prefix of this store inside the bucket (no leading or trailing slash; may be empty). */
    readonly prefix: string;
    /**
     * Aborts multipart uploads under this store's prefix started more than `olderThanMs` ago
     * (default: the store's `staleUploadAgeMs`). Returns the keys whose uploads were aborted.
     * Also runs once in the background when the store is first used.
     */
    abortStaleUploads(olderThanMs?: number): Promise<string[]>;
}

/**
 * Opens an ObjectStore on S3 or an S3-compatible server (MinIO, Ceph, …). `location` is
 * `s3://<bucket>/<prefix>`. Nothing is contacted until the first operation.
 */
export function createS3Store(options: S3StoreOptions): S3ObjectStore {
    const resolved = resolveS3StoreOptions(options);
    return new S3Store(resolved, createS3Client(resolved));
}

class S3Store implements S3ObjectStore {
    readonly location: string;
    readonly bucket: string;
    readonly prefix: string;
    readonly #options: ResolvedS3StoreOptions;
    readonly #client: S3Client;
    readonly #inFlight = new InFlight(() => (this.#closed ? this.#closedError() : undefined));
    #sweep: Promise<unknown> | undefined;
    #closed = false;

    constructor(options: ResolvedS3StoreOptions, client: S3Client) {
        this.#options = options;
        this.#client = client;
        this.bucket = options.bucket;
        this.prefix = options.prefix;
        this.location = `s3://${options.bucket}${options.prefix ? `/${options.prefix}` : ''}`;
    }

    put(body: PutBody, options: PutOptions = {}): Promise<PutResult> {
        return this.#inFlight.track(() => this.#put(body, options), () => discard(body));
    }

    get(pointer: string, options: GetOptions = {}): Promise<Readable> {
        return this.#inFlight.track(async () => {
            const key = this.#key(pointer);
            try {
                options.signal?.throwIfAborted();
                const response = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
                    abortSignal: options.signal,
                });
                const stream = response.Body as Readable | undefined;
                if (!(stream instanceof Readable)) throw new StoreError('INTERNAL', `S3 returned no body stream for ${key}`);
                return options.signal ? addAbortSignal(options.signal, stream) : stream;
            } catch (error) {
                throw this.#error(error, 'get', key);
            }
        });
    }

    stat(pointer: string): Promise<ObjectInfo> {
        return this.#inFlight.track(async () => {
            const key = this.#key(pointer);
            try {
                const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
                return { pointer, size: head.ContentLength ?? 0, ...(head.LastModified ? { modified: head.LastModified } : {}) };
            } catch (error) {
                throw this.#error(error, 'stat', key);
            }
        });
    }

    exists(pointer: string): Promise<boolean> {
        return this.#inFlight.track(async () => (await this.#headSize(this.#key(pointer))) !== undefined);
    }

    delete(pointer: string): Promise<void> {
        return this.#inFlight.track(async () => {
            const key = this.#key(pointer);
            try {
                // S3 answers 204 whether or not the key existed, which is the idempotence we promise.
                await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
            } catch (error) {
                throw this.#error(error, 'delete', key);
            }
        });
    }

    async *list(prefix = ''): AsyncIterable<ObjectInfo> {
        if (this.#closed) throw this.#closedError();
        const keyPrefix = this.prefix ? `${this.prefix}/${prefix}` : prefix;
        let token: string | undefined;
        do {
            let page;
            try {
                page = await this.#client.send(
                    new ListObjectsV2Command({ Bucket: this.bucket, Prefix: keyPrefix, ContinuationToken: token }),
                );
            } catch (error) {
                throw this.#error(error, 'list', keyPrefix);
            }
            for (const object of page.Contents ?? []) {
                if (!object.Key) continue;
                yield {
                    pointer: pointerOfKey(this.prefix, object.Key),
                    size: object.Size ?? 0,
                    ...(object.LastModified ? { modified: object.LastModified } : {}),
                };
            }
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token !== undefined);
    }

    abortStaleUploads(olderThanMs = this.#options.staleUploadAgeMs): Promise<string[]> {
        return this.#inFlight.track(async () => {
            try {
                return await abortStaleUploads(this.#client, this.bucket, this.prefix ? `${this.prefix}/` : '', olderThanMs);
            } catch (error) {
                throw this.#error(error, 'abort stale uploads');
            }
        });
    }

    async close(): Promise<void> {
        if (!this.#closed) {
            this.#closed = true;
        }
        await this.#inFlight.settled();
        await this.#sweep?.catch(() => {});
        this.#client.destroy();
    }

    [Symbol.asyncDispose](): Promise<void> {
        return this.close();
    }

    async #put(body: PutBody, options: PutOptions): Promise<PutResult> {
        const { checksum, size, signal, onProgress } = options;
        let expectedHex: string | undefined;
        try {
            if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0)) {
                throw new StoreError('INVALID_ARGUMENT', `size must be a non-negative integer, got ${String(size)}`);
            }
            if (typeof checksum === 'string') expectedHex = parseChecksum(checksum);
        } catch (error) {
            discard(body);
            throw error;
        }
        this.#startSweep();
        const pending = checksum === undefined || typeof checksum === 'string' ? undefined : Promise.resolve(checksum);
        const interruption = watchInterruption(signal, pending);
        const reader = new PartReader(body, interruption);
        let key: string | undefined;
        try {
            interruption.throwIfInterrupted();
            // Set when the object at the content address is damaged: the put overwrites it.
            let repaired = false;
            if (expectedHex !== undefined) {
                const found = await this.#findStored(expectedHex, size, interruption);
                if (found !== undefined && found !== 'damaged') {
                    reader.release();
                    return found;
                }
                repaired = found === 'damaged';
            }
            // Hash here only when no hasher runs beside us: a checksum promise comes from one reading
            // the very same chunks, so hashing again would only burn CPU.
            const hash = pending === undefined ? createHash('sha256') : undefined;
            const tooLong = (total: number): void => {
                if (size !== undefined && total > size) {
                    throw new StoreError('SIZE_MISMATCH', `the body is longer than the given size ${size}; nothing was stored`);
                }
            };
            const checkLength = (total: number): void => {
                if (size !== undefined && total !== size) {
                    throw new StoreError('SIZE_MISMATCH', `the body had ${total} bytes but size ${size} was given; nothing was stored`);
                }
            };
            const settle = async (): Promise<string> => {
                if (hash) {
                    const actual = `sha256:${hash.digest('hex')}`;
                    if (typeof checksum === 'string' && actual !== checksum) {
                        throw new StoreError('CHECKSUM_MISMATCH', `the body hashed to ${actual}, not the expected ${checksum}; nothing was stored`);
                    }
                    return actual;
                }
                let resolved: string;
                try {
                    resolved = await interruption.race(pending!);
                } catch (error) {
                    // A rejected checksum promise has already interrupted the put: report that (ABORTED).
                    interruption.throwIfInterrupted();
                    throw error;
                }
                parseChecksum(resolved);
                interruption.throwIfInterrupted();
                return resolved;
            };

            // A body that fits in one part goes up in one PUT after its checksum is known, so it can
            // be content-addressed (and skipped) even when the checksum is a promise.
            const { partSize } = this.#options;
            const first = size !== undefined && size < partSize ? Buffer.allocUnsafe(size + 1) : acquirePartBuffer(partSize);
            const length = await reader.fill(first);
            if (length < partSize || (await reader.atEnd())) {
                tooLong(length);
                checkLength(length);
                const bytes = first.subarray(0, length);
                hash?.update(bytes);
                const actual = await settle();
                const hex = actual.slice('sha256:'.length);
                if (expectedHex === undefined) {
                    const found = await this.#findStored(hex, length, interruption);
                    if (found !== undefined && found !== 'damaged') return found;
                    repaired = found === 'damaged';
                }
                const pointer = contentPointer(hex);
                key = this.#key(pointer);
                await this.#client.send(
                    new PutObjectCommand({
                        Bucket: this.bucket,
                        Key: key,
                        Body: bytes,
                        ContentLength: length,
                        // The server recomputes it and refuses the PUT if the bytes were corrupted on the way.
                        ChecksumSHA256: Buffer.from(hex, 'hex').toString('base64'),
                    }),
                    { abortSignal: interruption.signal },
                );
                onProgress?.(length);
                if (first.length === partSize) releasePartBuffers([first]);
                return { pointer, size: length, checksum: actual, skipped: false, ...(repaired && { repaired }) };
            }

            const pointer = expectedHex !== undefined ? contentPointer(expectedHex) : blobPointer();
            key = this.#key(pointer);
            const upload = await uploadParts(
                { client: this.#client, bucket: this.bucket, key, partSize, queueSize: this.#options.queueSize },
                reader,
                first,
                interruption,
                { ...(hash ? { onBytes: (bytes) => hash.update(bytes) } : {}), onRead: tooLong, ...(onProgress ? { onProgress } : {}) },
            );
            try {
                checkLength(upload.size);
                const actual = await settle();
                if (expectedHex === undefined) {
                    // The same bytes may already be stored content-addressed: keep that copy instead,
                    // if it is intact (a damaged one is left; this upload, under its own key, is kept).
                    const found = await this.#findStored(actual.slice('sha256:'.length), upload.size, interruption);
                    if (found !== undefined && found !== 'damaged') {
                        await upload.abort();
                        return found;
                    }
                }
                interruption.throwIfInterrupted();
                await upload.complete();
                return { pointer, size: upload.size, checksum: actual, skipped: false, ...(repaired && { repaired }) };
            } catch (error) {
                await upload.abort();
                throw error;
            }
        } catch (error) {
            reader.release();
            throw this.#error(error, 'put', key);
        } finally {
            interruption.dispose();
        }
    }

    /**
     * The result of a put that finds `sha256/<hex>` already stored and intact; `'damaged'` when an
     * object is there but has another size or (when small enough to re-read) other bytes;
     * undefined when there is none.
     */
    async #findStored(hex: string, size: number | undefined, interruption: Interruption): Promise<PutResult | 'damaged' | undefined> {
        const pointer = contentPointer(hex);
        const key = this.#key(pointer);
        const existing = await interruption.race(this.#headSize(key));
        if (existing === undefined) return undefined;
        if (size !== undefined && existing !== size) return 'damaged';
        if (existing <= this.#options.verifyExistingUpTo) {
            const actual = await interruption.race(this.#hashObject(key, interruption.signal));
            if (actual === undefined) return undefined; // deleted meanwhile
            if (actual.hex !== hex || actual.size !== existing) return 'damaged';
        }
        return { pointer, size: existing, checksum: `sha256:${hex}`, skipped: true };
    }

    /** SHA-256 and length of an object as S3 returns it now; undefined when it is gone. */
    async #hashObject(key: string, signal: AbortSignal): Promise<{ hex: string; size: number } | undefined> {
        try {
            const response = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
            const hash = createHash('sha256');
            let size = 0;
            for await (const chunk of response.Body as AsyncIterable<Uint8Array>) {
                hash.update(chunk);
                size += chunk.byteLength;
            }
            return { hex: hash.digest('hex'), size };
        } catch (error) {
            const translated = this.#error(error, 'get', key);
            if (translated.code === 'NOT_FOUND') return undefined;
            throw translated;
        }
    }

    async #headSize(key: string): Promise<number | undefined> {
        try {
            const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
            return head.ContentLength ?? 0;
        } catch (error) {
            const translated = this.#error(error, 'stat', key);
            if (translated.code === 'NOT_FOUND') return undefined;
            throw translated;
        }
    }

    /** Leftovers of killed writers are swept once, in the background, when the store is first used. */
    #startSweep(): void {
        if (this.#sweep !== undefined || this.#options.staleUploadAgeMs === 0) return;
        this.#sweep = abortStaleUploads(this.#client, this.bucket, this.prefix ? `${this.prefix}/` : '', this.#options.staleUploadAgeMs).catch(
            () => {
                // Best effort: a put that fails for the same reason reports it with a proper error.
            },
        );
    }

    #key(pointer: string): string {
        return objectKey(this.prefix, validatePointer(pointer));
    }

    #error(error: unknown, operation: string, key?: string): StoreError {
        const context: S3ErrorContext = { operation, bucket: this.bucket };
        if (key !== undefined) context.key = key;
        if (this.#options.endpoint !== undefined) context.endpoint = this.#options.endpoint;
        return toStoreError(error, context);
    }


    #closedError(): StoreError {
        return new StoreError('UNAVAILABLE', `the store ${this.location} is closed; open a new one`);
    }
}

/** Releases a body that will not be read. */
function discard(body: PutBody): void {
    if (body instanceof Readable) body.destroy();
    else (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]().return?.()?.catch?.(() => {});
}
