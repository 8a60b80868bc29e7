/**
 * S3-specific behaviour of the multipart path against the real server: failures never leave a
 * multipart upload or an object behind, promise checksums, dedupe, and retries of transient errors.
 */
import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Transform } from 'node:stream';
import { isStoreError, type StoreErrorCode } from '@hyperprov/storage';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { S3ObjectStore } from './s3-store.js';
import { generatedBody } from './testing/generated-body.js';
import { emptyPrefix, listKeys, listUploads, openTestStore, rawClient } from './testing/test-store.js';

const MiB = 1024 * 1024;
const partSize = 5 * MiB;
const target = inject('s3');
const client = rawClient(target);
const opened: S3ObjectStore[] = [];

function open(options: Parameters<typeof openTestStore>[1] = {}): S3ObjectStore {
    const store = openTestStore(target, { partSize, queueSize: 2, ...options });
    opened.push(store);
    return store;
}

async function rejection(promise: Promise<unknown>): Promise<{ code: StoreErrorCode; message: string }> {
    try {
        await promise;
    } catch (error) {
        expect(isStoreError(error), `expected a StoreError, got ${String(error)}`).toBe(true);
        return error as { code: StoreErrorCode; message: string };
    }
    throw new Error('expected the operation to reject');
}

async function expectNothingLeft(store: S3ObjectStore): Promise<void> {
    expect(await listKeys(client, target.bucket, `${store.prefix}/`)).toEqual([]);
    expect(await listUploads(client, target.bucket, `${store.prefix}/`)).toEqual([]);
}

async function sha256Of(stream: Readable): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of stream) hash.update(chunk as Buffer);
    return `sha256:${hash.digest('hex')}`;
}

afterEach(async () => {
    for (const store of opened.splice(0)) {
        await store.close();
        await emptyPrefix(client, target.bucket, `${store.prefix}/`);
    }
});
afterAll(() => client.destroy());

describe('multipart failures leave no upload and no object', () => {
    const body = generatedBody(24 * MiB + 5);

    it('abort after some parts were uploaded: AbortMultipartUpload is sent', async () => {
        const store = open();
        const controller = new AbortController();
        let uploadsSeen: string[] = [];
        let progress = 0;
        const put = store.put(
            body.chunks(async (index) => {
                if (index === 14) {
                    while (progress < partSize) await new Promise((resolve) => setTimeout(resolve, 10));
                    uploadsSeen = await listUploads(client, target.bucket, `${store.prefix}/`);
                    controller.abort();
                }
            }),
            { signal: controller.signal, onProgress: (n) => (progress = n) },
        );
        expect((await rejection(put)).code).toBe('ABORTED');
        expect(uploadsSeen, 'a multipart upload was in progress when aborting').toHaveLength(1);
        expect(progress).toBeGreaterThanOrEqual(partSize);
        await expectNothingLeft(store);
    });

    it('a checksum promise that rejects mid-upload discards it', async () => {
        const store = open();
        let rejectChecksum!: (error: Error) => void;
        const checksum = new Promise<string>((_, reject) => (rejectChecksum = reject));
        let uploadsSeen: string[] = [];
        const put = store.put(
            body.chunks(async (index) => {
                if (index === 12) {
                    uploadsSeen = await listUploads(client, target.bucket, `${store.prefix}/`);
                    rejectChecksum(new Error('file changed while it was read'));
                }
            }),
            { checksum, size: body.size },
        );
        const error = await rejection(put);
        expect(error.code).toBe('ABORTED');
        expect(uploadsSeen).toHaveLength(1);
        await expectNothingLeft(store);
    });

    it('a checksum promise that rejects after all parts are stored discards it', async () => {
        const store = open();
        let rejectChecksum!: (error: Error) => void;
        const checksum = new Promise<string>((_, reject) => (rejectChecksum = reject));
        let read = 0;
        const put = store.put(body.chunks(), { checksum, size: body.size, onProgress: (n) => (read = n) });
        while (read < body.size) await new Promise((resolve) => setTimeout(resolve, 20));
        const uploads = await listUploads(client, target.bucket, `${store.prefix}/`);
        rejectChecksum(new Error('withdrawn'));
        expect(uploads).toHaveLength(1);
        expect((await rejection(put)).code).toBe('ABORTED');
        await expectNothingLeft(store);
    });

    it('a wrong up-front checksum: CHECKSUM_MISMATCH', async () => {
        const store = open();
        const wrong = `sha256:${'0'.repeat(64)}`;
        expect((await rejection(store.put(body.chunks(), { checksum: wrong }))).code).toBe('CHECKSUM_MISMATCH');
        await expectNothingLeft(store);
    });

    it('a body longer or shorter than size: SIZE_MISMATCH', async () => {
        const store = open();
        expect((await rejection(store.put(body.chunks(), { size: body.size - 1 }))).code).toBe('SIZE_MISMATCH');
        expect((await rejection(store.put(body.chunks(), { size: body.size + 1 }))).code).toBe('SIZE_MISMATCH');
        await expectNothingLeft(store);
    });

    it('a body that fails mid-stream', async () => {
        const store = open();
        const put = store.put(
            body.chunks((index) => {
                if (index === 11) throw new Error('EIO: disk read error');
            }),
        );
        await rejection(put);
        await expectNothingLeft(store);
    });
});

describe('multipart success', () => {
    it('a checksum promise: completes under blobs/, content readable; later same bytes dedupe', async () => {
        const store = open();
        const body = generatedBody(17 * MiB + 3);
        const first = await store.put(body.chunks(), { checksum: Promise.resolve(body.checksum), size: body.size });
        expect(first).toMatchObject({ size: body.size, checksum: body.checksum, skipped: false });
        expect(first.pointer).toMatch(/^blobs\/[0-9a-f-]{36}$/);
        expect(await sha256Of(await store.get(first.pointer))).toBe(body.checksum);

        // Known checksum: content-addressed key.
        const second = await store.put(body.chunks(), { checksum: body.checksum, size: body.size });
        expect(second).toMatchObject({ pointer: `sha256/${body.checksum.slice(7)}`, skipped: false });
        // Again with a promise: the content-addressed copy is found; the new upload is dropped.
        const third = await store.put(body.chunks(), { checksum: Promise.resolve(body.checksum), size: body.size });
        expect(third).toMatchObject({ pointer: second.pointer, skipped: true, size: body.size });
        // And up front: skipped without reading the body.
        let chunksRead = 0;
        const fourth = await store.put(body.chunks(() => void chunksRead++), { checksum: body.checksum });
        expect(fourth).toMatchObject({ pointer: second.pointer, skipped: true });
        expect(chunksRead).toBeLessThanOrEqual(1);
        expect((await listKeys(client, target.bucket, `${store.prefix}/`)).sort()).toEqual(
            [`${store.prefix}/${first.pointer}`, `${store.prefix}/${second.pointer}`].sort(),
        );
        expect(await listUploads(client, target.bucket, `${store.prefix}/`)).toEqual([]);
    });

    it('memory stays at (queueSize + 1) parts: the part buffers are reused', async () => {
        const store = open({ queueSize: 2 });
        const body = generatedBody(64 * MiB);
        const before = process.memoryUsage().arrayBuffers;
        let peak = 0;
        const result = await store.put(
            body.chunks(() => {
                peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
            }, true),
            { checksum: body.checksum },
        );
        expect(result.size).toBe(body.size);
        // 3 part buffers of 5 MiB plus a few 1 MiB chunks in flight; far below the 64 MiB body.
        expect(peak).toBeLessThan(30 * MiB);
    });
});

describe('retries', () => {
    let proxy: Server;
    let endpoint: string;
    let injected = 0;
    let failuresToInject = 0;
    let corrupted = 0;
    let partsToCorrupt = 0;
    let partHeaders: Array<Record<string, unknown>> = [];

    beforeAll(async () => {
        const upstream = new URL(target.endpoint);
        // Forwards to MinIO, but answers the first UploadPart requests with 503 SlowDown.
        proxy = createServer((req, res) => {
            if (req.method === 'PUT' && req.url?.includes('partNumber=') && injected < failuresToInject) {
                injected++;
                req.resume();
                req.on('end', () => {
                    res.writeHead(503, { 'content-type': 'application/xml' });
                    res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>');
                });
                return;
            }
            const headers = { ...req.headers };
            delete headers.expect;
            const isPart = req.method === 'PUT' && req.url?.includes('partNumber=');
            if (isPart) partHeaders.push(headers);
            let source: NodeJS.ReadableStream = req;
            if (isPart && corrupted < partsToCorrupt) {
                corrupted++;
                // Flips one bit of the part on the way, as a bad NIC or proxy would.
                let first = true;
                source = req.pipe(
                    new Transform({
                        transform(chunk: Buffer, _encoding, done) {
                            if (first && chunk.length > 0) {
                                chunk[0]! ^= 1;
                                first = false;
                            }
                            done(null, chunk);
                        },
                    }),
                );
            }
            const forward = request(
                { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
                (response) => {
                    res.writeHead(response.statusCode ?? 502, response.headers);
                    response.pipe(res);
                },
            );
            forward.on('error', () => res.destroy());
            source.pipe(forward);
        });
        await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
        endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

    it('retries parts that fail with transient errors, then completes', async () => {
        failuresToInject = 2;
        injected = 0;
        const store = open({ endpoint });
        const body = generatedBody(11 * MiB);
        const result = await store.put(body.chunks(), { checksum: body.checksum });
        expect(injected).toBe(2);
        expect(await sha256Of(await store.get(result.pointer))).toBe(body.checksum);
        expect(await listUploads(client, target.bucket, `${store.prefix}/`)).toEqual([]);
    });

    it('sends parts with a CRC32 the server checks, unsigned; a part corrupted on the way is sent again', async () => {
        partHeaders = [];
        corrupted = 0;
        partsToCorrupt = 1;
        const store = open({ endpoint });
        const body = generatedBody(11 * MiB);
        const result = await store.put(body.chunks(), { checksum: body.checksum });
        expect(corrupted).toBe(1);
        expect(partHeaders.length).toBe(4); // 3 parts + the one sent again
        for (const headers of partHeaders) {
            expect(headers['x-amz-checksum-crc32']).toMatch(/^[A-Za-z0-9+/]{6}==$/);
            expect(headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
        }
        expect(await sha256Of(await store.get(result.pointer))).toBe(body.checksum);
    });

    it('a part corrupted on every send: CHECKSUM_MISMATCH, upload aborted', async () => {
        corrupted = 0;
        partsToCorrupt = 1000;
        const store = open({ endpoint });
        const body = generatedBody(11 * MiB);
        expect((await rejection(store.put(body.chunks(), { checksum: body.checksum }))).code).toBe('CHECKSUM_MISMATCH');
        partsToCorrupt = 0;
        await expectNothingLeft(store);
    });

    it('gives up after maxAttempts with UNAVAILABLE and aborts the upload', async () => {
        failuresToInject = 1000;
        injected = 0;
        const store = open({ endpoint, maxAttempts: 2 });
        const body = generatedBody(11 * MiB);
        const error = await rejection(store.put(body.chunks(), { checksum: body.checksum }));
        expect(error.code).toBe('UNAVAILABLE');
        expect(injected).toBeGreaterThanOrEqual(2);
        await expectNothingLeft(store);
        failuresToInject = 0;
    });
});

describe('errors name the next step', () => {
    it('unreachable endpoint: UNAVAILABLE with the endpoint', async () => {
        const store = open({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
        const error = await rejection(store.put(Readable.from([Buffer.from('x')])));
        expect(error.code).toBe('UNAVAILABLE');
        expect(error.message).toContain('http://127.0.0.1:9');
        expect((await rejection(store.stat('sha256/abc'))).code).toBe('UNAVAILABLE');
    });

    it('wrong credentials: UNAVAILABLE that says to check the credentials', async () => {
        const store = open({ credentials: { accessKeyId: target.accessKeyId, secretAccessKey: 'wrong-secret-key' }, maxAttempts: 1 });
        const error = await rejection(store.put(Readable.from([Buffer.from('x')])));
        expect(error.code).toBe('UNAVAILABLE');
        expect(error.message).toMatch(/credentials/);
    });

    it('missing bucket: UNAVAILABLE that says to create it', async () => {
        const store = open({ bucket: 'no-such-bucket-here' });
        const error = await rejection(store.put(Readable.from([Buffer.from('x')])));
        expect(error.code).toBe('UNAVAILABLE');
        expect(error.message).toMatch(/does not exist.*; create it/);
    });

    it('bad pointers: INVALID_ARGUMENT; missing ones: NOT_FOUND', async () => {
        const store = open();
        for (const pointer of ['', '/abs', '../escape', 'a//b', 'a/./b']) {
            expect((await rejection(store.get(pointer))).code).toBe('INVALID_ARGUMENT');
        }
        expect((await rejection(store.get('sha256/none'))).code).toBe('NOT_FOUND');
        expect(await store.exists('sha256/none')).toBe(false);
    });
});
