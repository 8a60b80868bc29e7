/**
 * The ObjectStore conformance suite (vitest). Every store runs it against a real backend:
 *
 * ```ts
 * import { describeObjectStoreConformance } from '@hyperprov/storage/conformance';
 * describeObjectStoreConformance('s3', async () => ({ store: createS3Store(…), cleanup: async () => {…} }));
 * ```
 *
 * `open` is called before every test and must return an empty store (e.g. a fresh directory or key
 * prefix); `cleanup` runs after it. The suite checks the contract written in object-store.ts.
 */

import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStoreError, type StoreErrorCode } from './errors.js';
import type { ObjectInfo, ObjectStore } from './object-store.js';

/** What `open` returns: an empty store and how to dispose of it. */
export interface ConformanceFixture {
    store: ObjectStore;
    cleanup(): Promise<void>;
    /**
     * Replaces the bytes of a stored object behind the store's back, through the backend (a disk
     * error, a stray write, a truncation). With it, the suite checks that a put of the object's
     * true bytes repairs it instead of trusting the damaged copy.
     */
    damage?(pointer: string, bytes: Buffer): Promise<void>;
    /**
     * Writes `bytes` to a new file the store can adopt (on its file system) and returns its path.
     * With it, a store that has `adopt` is checked to keep the put contract there too.
     */
    adoptable?(bytes: Buffer): Promise<string>;
}

/** Options of {@link describeObjectStoreConformance}. */
export interface ConformanceOptions {
    /** Per-test timeout in ms (default 30 s; remote stores may need more). */
    timeout?: number;
    /** Size of the "multi-MiB" body (default 6 MiB + 123 bytes). */
    largeSize?: number;
}

function sha256(bytes: Uint8Array): string {
    return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Yields `bytes` in chunks of `chunkSize` (fresh views, not reused). */
async function* chunked(bytes: Uint8Array, chunkSize: number): AsyncGenerator<Uint8Array> {
    for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) {
        await Promise.resolve();
        yield bytes.subarray(offset, Math.min(offset + chunkSize, bytes.byteLength));
    }
}

/** A promise with its resolve/reject exposed. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
    });
    return { promise, resolve, reject };
}

async function readAll(stream: Readable): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of stream) parts.push(Buffer.from(part as Uint8Array));
    return Buffer.concat(parts);
}

async function listAll(store: ObjectStore, prefix?: string): Promise<ObjectInfo[]> {
    const found: ObjectInfo[] = [];
    for await (const info of store.list(prefix)) found.push(info);
    return found;
}

async function expectStoreError(promise: Promise<unknown>, code?: StoreErrorCode): Promise<void> {
    let caught: unknown;
    try {
        await promise;
    } catch (error) {
        caught = error;
    }
    expect(caught, 'expected the operation to reject').toBeDefined();
    expect(isStoreError(caught), `expected a StoreError, got ${String(caught)}`).toBe(true);
    if (code !== undefined) expect((caught as { code: string }).code).toBe(code);
}

/** Lets timers and I/O run so a store that would wrongly publish early gets the chance to. */
function settle(ms = 50): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Registers the conformance tests for one store implementation. */
export function describeObjectStoreConformance(
    name: string,
    open: () => Promise<ConformanceFixture>,
    options: ConformanceOptions = {},
): void {
    const timeout = options.timeout ?? 30_000;
    const largeSize = options.largeSize ?? 6 * 1024 * 1024 + 123;

    describe(`ObjectStore conformance: ${name}`, { timeout }, () => {
        let fixture: ConformanceFixture;
        let store: ObjectStore;

        beforeEach(async () => {
            fixture = await open();
            store = fixture.store;
        });
        afterEach(async () => {
            await store.close();
            await fixture.cleanup();
        });

        async function expectNothingVisible(): Promise<void> {
            expect(await listAll(store)).toEqual([]);
        }

        async function expectRoundTrip(bytes: Buffer, body: Readable | AsyncIterable<Uint8Array>): Promise<string> {
            const result = await store.put(body, { size: bytes.byteLength });
            expect(result.size).toBe(bytes.byteLength);
            expect(result.checksum).toBe(sha256(bytes));
            expect(result.skipped).toBe(false);
            expect(typeof result.pointer).toBe('string');
            expect(result.pointer.length).toBeGreaterThan(0);
            expect(await store.exists(result.pointer)).toBe(true);
            expect((await store.stat(result.pointer)).size).toBe(bytes.byteLength);
            const back = await readAll(await store.get(result.pointer));
            expect(back.byteLength).toBe(bytes.byteLength);
            expect(sha256(back)).toBe(sha256(bytes));
            return result.pointer;
        }

        it('has a location URL', () => {
            expect(store.location).toMatch(/^[a-z][a-z0-9+.-]*:\/\//);
        });

        describe('put/get round trip', () => {
            it('stores an empty body', async () => {
                await expectRoundTrip(Buffer.alloc(0), Readable.from([]));
            });

            it('stores a small body from a Readable', async () => {
                const bytes = Buffer.from('hello, provenance\n');
                await expectRoundTrip(bytes, Readable.from([bytes]));
            });

            it('stores a multi-MiB body from an async iterable of uneven chunks', async () => {
                const bytes = randomBytes(largeSize);
                await expectRoundTrip(bytes, chunked(bytes, 777_777));
            });

            it('keeps each chunk before asking for the next (callers may reuse chunk memory)', async () => {
                const bytes = randomBytes(3 * 1024 * 1024 + 17);
                const slot = new Uint8Array(256 * 1024);
                async function* reusing(): AsyncGenerator<Uint8Array> {
                    for (let offset = 0; offset < bytes.byteLength; offset += slot.byteLength) {
                        const length = Math.min(slot.byteLength, bytes.byteLength - offset);
                        slot.set(bytes.subarray(offset, offset + length));
                        yield slot.subarray(0, length);
                        slot.fill(0xee); // the store asked for the next chunk: it must be done with this one
                    }
                }
                await expectRoundTrip(bytes, reusing());
            });

            it('reports progress up to the full size', async () => {
                const bytes = randomBytes(2 * 1024 * 1024);
                const seen: number[] = [];
                await store.put(chunked(bytes, 256 * 1024), { size: bytes.byteLength, onProgress: (n) => seen.push(n) });
                expect(seen.length).toBeGreaterThan(0);
                expect(seen.at(-1)).toBe(bytes.byteLength);
                for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
            });
        });

        describe('checksums', () => {
            it('accepts a checksum known up front', async () => {
                const bytes = randomBytes(100_000);
                const result = await store.put(Readable.from([bytes]), { checksum: sha256(bytes), size: bytes.byteLength });
                expect(result.checksum).toBe(sha256(bytes));
                expect(sha256(await readAll(await store.get(result.pointer)))).toBe(sha256(bytes));
            });

            it('accepts a checksum promise and publishes only after it resolves', async () => {
                const bytes = randomBytes(300_000);
                const checksum = deferred<string>();
                const bodyDone = deferred<void>();
                async function* body(): AsyncGenerator<Uint8Array> {
                    yield* chunked(bytes, 64 * 1024);
                    bodyDone.resolve();
                }
                let settled = false;
                const put = store.put(body(), { checksum: checksum.promise, size: bytes.byteLength });
                void put.then(
                    () => (settled = true),
                    () => (settled = true),
                );
                await bodyDone.promise;
                await settle(200);
                expect(settled, 'put must wait for the checksum promise').toBe(false);
                await expectNothingVisible();
                checksum.resolve(sha256(bytes));
                const result = await put;
                expect(result.checksum).toBe(sha256(bytes));
                expect(await store.exists(result.pointer)).toBe(true);
                expect(sha256(await readAll(await store.get(result.pointer)))).toBe(sha256(bytes));
            });

            it('rejects a wrong checksum with CHECKSUM_MISMATCH and stores nothing', async () => {
                const bytes = randomBytes(200_000);
                const wrong = sha256(Buffer.from('other bytes'));
                await expectStoreError(store.put(chunked(bytes, 50_000), { checksum: wrong }), 'CHECKSUM_MISMATCH');
                await expectNothingVisible();
            });

            it('rejects a malformed checksum with INVALID_ARGUMENT', async () => {
                await expectStoreError(store.put(Readable.from([Buffer.from('x')]), { checksum: 'md5:abc' }), 'INVALID_ARGUMENT');
                await expectNothingVisible();
            });

            it('discards the upload when the checksum promise rejects (ABORTED)', async () => {
                const bytes = randomBytes(500_000);
                const checksum = deferred<string>();
                async function* body(): AsyncGenerator<Uint8Array> {
                    yield* chunked(bytes, 100_000);
                    checksum.reject(new Error('the source file changed while it was read'));
                }
                await expectStoreError(store.put(body(), { checksum: checksum.promise, size: bytes.byteLength }), 'ABORTED');
                await expectNothingVisible();
            });

            it('stops promptly when the checksum promise rejects while the body stalls', async () => {
                const checksum = deferred<string>();
                async function* body(): AsyncGenerator<Uint8Array> {
                    yield randomBytes(10_000);
                    checksum.reject(new Error('withdrawn'));
                    await new Promise(() => {}); // never continues
                }
                await expectStoreError(store.put(body(), { checksum: checksum.promise }), 'ABORTED');
                await expectNothingVisible();
            });
        });

        describe('sizes', () => {
            it('rejects a body shorter than size with SIZE_MISMATCH and stores nothing', async () => {
                const bytes = randomBytes(10_000);
                await expectStoreError(store.put(Readable.from([bytes]), { size: 10_001 }), 'SIZE_MISMATCH');
                await expectNothingVisible();
            });

            it('rejects a body longer than size with SIZE_MISMATCH and stores nothing', async () => {
                const bytes = randomBytes(10_000);
                await expectStoreError(store.put(chunked(bytes, 3000), { size: 9_999 }), 'SIZE_MISMATCH');
                await expectNothingVisible();
            });
        });

        describe('failures and aborts', () => {
            it('aborts mid-stream with ABORTED and stores nothing', async () => {
                const controller = new AbortController();
                async function* body(): AsyncGenerator<Uint8Array> {
                    yield randomBytes(100_000);
                    yield randomBytes(100_000);
                    controller.abort();
                    await new Promise(() => {}); // stalls: the store must not wait for it
                }
                await expectStoreError(store.put(body(), { signal: controller.signal }), 'ABORTED');
                await expectNothingVisible();
            });

            it('rejects with ABORTED when the signal is already aborted', async () => {
                const controller = new AbortController();
                controller.abort();
                await expectStoreError(
                    store.put(Readable.from([Buffer.from('x')]), { signal: controller.signal }),
                    'ABORTED',
                );
                await expectNothingVisible();
            });

            it('stores nothing when the body fails', async () => {
                async function* body(): AsyncGenerator<Uint8Array> {
                    yield randomBytes(100_000);
                    throw new Error('disk read error');
                }
                await expectStoreError(store.put(body()));
                await expectNothingVisible();
            });
        });

        describe('missing objects', () => {
            it('get, stat and exists report a missing object; delete succeeds', async () => {
                const pointer = await expectRoundTrip(Buffer.from('soon gone'), Readable.from([Buffer.from('soon gone')]));
                await store.delete(pointer);
                expect(await store.exists(pointer)).toBe(false);
                await expectStoreError(store.get(pointer), 'NOT_FOUND');
                await expectStoreError(store.stat(pointer), 'NOT_FOUND');
                await store.delete(pointer); // idempotent
                await expectNothingVisible();
            });
        });

        describe('list', () => {
            it('lists every object with its size, and filters by prefix', async () => {
                const bodies = [randomBytes(10), randomBytes(2000), randomBytes(30_000)];
                const pointers: string[] = [];
                for (const bytes of bodies) pointers.push((await store.put(Readable.from([bytes]))).pointer);
                const all = await listAll(store);
                expect(all.map((info) => info.pointer).sort()).toEqual([...pointers].sort());
                for (const [i, pointer] of pointers.entries()) {
                    expect(all.find((info) => info.pointer === pointer)?.size).toBe(bodies[i]!.byteLength);
                }
                const one = await listAll(store, pointers[1]);
                expect(one.map((info) => info.pointer)).toEqual([pointers[1]]);
                const lead = pointers[0]!.slice(0, pointers[0]!.length - 10);
                const byLead = await listAll(store, lead);
                expect(byLead.map((info) => info.pointer)).toContain(pointers[0]);
                for (const info of byLead) expect(info.pointer.startsWith(lead)).toBe(true);
                expect(await listAll(store, '\u{10FFFF}no-such-prefix')).toEqual([]);
            });
        });

        describe('dedupe and concurrency', () => {
            it('stores identical content once and skips a put whose checksum it holds', async () => {
                const bytes = randomBytes(123_456);
                const first = await store.put(Readable.from([bytes]));
                const second = await store.put(Readable.from([bytes]), { checksum: sha256(bytes), size: bytes.byteLength });
                expect(second.pointer).toBe(first.pointer);
                expect(second.skipped).toBe(true);
                expect(second.checksum).toBe(sha256(bytes));
                expect(second.size).toBe(bytes.byteLength);
                const third = await store.put(chunked(bytes, 10_000));
                expect(third.pointer).toBe(first.pointer);
                expect(await listAll(store)).toHaveLength(1);
            });

            it('handles concurrent puts, including of identical content', async () => {
                const distinct = Array.from({ length: 8 }, (_, i) => randomBytes(50_000 + i * 10_000));
                const same = randomBytes(200_000);
                const results = await Promise.all([
                    ...distinct.map((bytes) => store.put(chunked(bytes, 16_384), { size: bytes.byteLength })),
                    store.put(chunked(same, 16_384)),
                    store.put(chunked(same, 20_000)),
                    store.put(chunked(same, 30_000), { checksum: sha256(same) }),
                ]);
                for (const [i, bytes] of distinct.entries()) {
                    expect(sha256(await readAll(await store.get(results[i]!.pointer)))).toBe(sha256(bytes));
                }
                const sameResults = results.slice(distinct.length);
                expect(new Set(sameResults.map((r) => r.pointer)).size).toBe(1);
                expect(sha256(await readAll(await store.get(sameResults[0]!.pointer)))).toBe(sha256(same));
                expect(await listAll(store)).toHaveLength(distinct.length + 1);
            });
        });

        describe('adopt (optional)', () => {
            /**
             * A file the store can adopt, holding `bytes`; undefined for a store without adopt, which
             * is checked not to claim it (callers then put the bytes). A store that adopts must come
             * with a fixture that makes files it can adopt.
             */
            async function adoptable(_ctx: unknown, bytes: Buffer): Promise<string | undefined> {
                if (fixture.adoptable === undefined) {
                    expect(store.adopt, 'a store with adopt needs an adoptable fixture in its conformance run').toBeUndefined();
                    return undefined;
                }
                expect(store.adopt).toBeDefined();
                return fixture.adoptable(bytes);
            }
            it('makes a file the object without changing it, as a put of its bytes would', async (ctx) => {
                const bytes = randomBytes(largeSize);
                const file = await adoptable(ctx, bytes);
                if (file === undefined) return;
                // A store that can say beforehand must not refuse a file it adopts.
                if (store.canAdopt !== undefined) expect(await store.canAdopt(file)).toBe(true);
                const result = await store.adopt!(file, { checksum: sha256(bytes), size: bytes.byteLength });
                expect(result).toMatchObject({ checksum: sha256(bytes), size: bytes.byteLength, skipped: false });
                expect(sha256(await readAll(await store.get(result!.pointer)))).toBe(sha256(bytes));
                expect(await listAll(store)).toEqual([expect.objectContaining({ pointer: result!.pointer, size: bytes.byteLength })]);
                expect(sha256(await readFile(file)), 'the caller\'s file keeps its bytes').toBe(sha256(bytes));
                const again = await store.put(Readable.from([bytes]));
                expect(again.pointer).toBe(result!.pointer);
            });

            it('publishes only after the checksum promise resolves', async (ctx) => {
                const bytes = randomBytes(200_000);
                const file = await adoptable(ctx, bytes);
                if (file === undefined) return;
                const checksum = deferred<string>();
                const adopting = store.adopt!(file, { checksum: checksum.promise, size: bytes.byteLength });
                await settle();
                await expectNothingVisible();
                checksum.resolve(sha256(bytes));
                expect((await adopting)?.checksum).toBe(sha256(bytes));
                expect(await listAll(store)).toHaveLength(1);
            });

            it('leaves nothing visible when the checksum promise rejects (ABORTED), the size is wrong or the signal aborted', async (ctx) => {
                const bytes = randomBytes(100_000);
                const file = await adoptable(ctx, bytes);
                if (file === undefined) return;
                const checksum = deferred<string>();
                const adopting = store.adopt!(file, { checksum: checksum.promise, size: bytes.byteLength });
                await settle();
                checksum.reject(new Error('the hasher saw the file change'));
                await expectStoreError(adopting, 'ABORTED');
                await expectStoreError(store.adopt!(file, { checksum: sha256(bytes), size: bytes.byteLength + 1 }), 'SIZE_MISMATCH');
                await expectStoreError(store.adopt!(file, { checksum: sha256(bytes), size: bytes.byteLength, signal: AbortSignal.abort() }), 'ABORTED');
                await expectNothingVisible();
            });

            it('reuses an object it holds under that checksum (skipped)', async (ctx) => {
                const bytes = randomBytes(150_000);
                const file = await adoptable(ctx, bytes);
                if (file === undefined) return;
                const first = await store.put(Readable.from([bytes]));
                const result = await store.adopt!(file, { checksum: sha256(bytes), size: bytes.byteLength });
                expect(result).toMatchObject({ pointer: first.pointer, skipped: true });
                expect(await listAll(store)).toHaveLength(1);
            });
        });

        describe('damaged objects', () => {
            /** Bytes of the same length with one byte flipped in the middle. */
            const flipped = (bytes: Buffer): Buffer => {
                const copy = Buffer.from(bytes);
                copy[copy.length >> 1] = copy[copy.length >> 1]! ^ 0xff;
                return copy;
            };

            it('repairs an object whose bytes changed when its bytes are put again with their checksum', async (ctx) => {
                if (!fixture.damage) ctx.skip();
                const bytes = randomBytes(100_000);
                const first = await store.put(Readable.from([bytes]));
                await fixture.damage!(first.pointer, flipped(bytes));
                const again = await store.put(Readable.from([bytes]), { checksum: sha256(bytes), size: bytes.byteLength });
                expect(again).toMatchObject({ pointer: first.pointer, skipped: false, repaired: true, checksum: sha256(bytes) });
                expect(sha256(await readAll(await store.get(first.pointer)))).toBe(sha256(bytes));
                // Repaired, it is trusted again.
                const third = await store.put(Readable.from([bytes]), { checksum: sha256(bytes), size: bytes.byteLength });
                expect(third).toMatchObject({ skipped: true });
                expect(third.repaired ?? false).toBe(false);
            });

            it('repairs a truncated object instead of failing with SIZE_MISMATCH', async (ctx) => {
                if (!fixture.damage) ctx.skip();
                const bytes = randomBytes(100_000);
                const first = await store.put(Readable.from([bytes]));
                await fixture.damage!(first.pointer, bytes.subarray(0, 4096));
                const again = await store.put(Readable.from([bytes]), { checksum: sha256(bytes), size: bytes.byteLength });
                expect(again).toMatchObject({ pointer: first.pointer, skipped: false, repaired: true });
                expect((await store.stat(first.pointer)).size).toBe(bytes.byteLength);
                expect(sha256(await readAll(await store.get(first.pointer)))).toBe(sha256(bytes));
            });

            it('repairs a damaged object when its bytes are put again with a checksum promise', async (ctx) => {
                if (!fixture.damage) ctx.skip();
                const bytes = randomBytes(100_000);
                const first = await store.put(Readable.from([bytes]));
                await fixture.damage!(first.pointer, flipped(bytes));
                const again = await store.put(chunked(bytes, 10_000), { checksum: Promise.resolve(sha256(bytes)), size: bytes.byteLength });
                expect(again).toMatchObject({ skipped: false, checksum: sha256(bytes) });
                // The bytes the store answers for this checksum are the true ones again.
                expect(sha256(await readAll(await store.get(again.pointer)))).toBe(sha256(bytes));
                expect(sha256(await readAll(await store.get(first.pointer)))).toBe(sha256(bytes));
            });
        });

        describe('close', () => {
            it('waits for in-flight puts, is idempotent, and refuses later calls', async () => {
                const bytes = randomBytes(400_000);
                const release = deferred<void>();
                async function* body(): AsyncGenerator<Uint8Array> {
                    yield bytes.subarray(0, 200_000);
                    await release.promise;
                    yield bytes.subarray(200_000);
                }
                const put = store.put(body(), { size: bytes.byteLength });
                await settle();
                let closed = false;
                const closing = store.close().then(() => (closed = true));
                await settle();
                expect(closed, 'close must wait for the in-flight put').toBe(false);
                release.resolve();
                const result = await put;
                await closing;
                expect(result.size).toBe(bytes.byteLength);
                await store.close();
                await expectStoreError(store.put(Readable.from([Buffer.from('late')])));
            });

            it('supports await using (Symbol.asyncDispose)', async () => {
                expect(typeof store[Symbol.asyncDispose]).toBe('function');
                await store[Symbol.asyncDispose]();
                await expectStoreError(store.put(Readable.from([Buffer.from('late')])));
            });
        });
    });
}
