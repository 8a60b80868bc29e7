/**
 * The chaincode stub the contract runs against in the embedded ledger: the subset of fabric-shim's
 * ChaincodeStub the provenance contract uses, with Fabric's semantics:
 * - no read-your-writes: reads see the state before the transaction, never its own writes;
 * - a put of an empty value is a delete; the last write of a key in a transaction wins;
 * - simple-key ranges start at '\x01' so they never return composite keys ('\x00…');
 * - paginated queries return {iterator, metadata: {fetchedRecordsCount, bookmark}} where the
 *   bookmark is the next key, or '' when the range is exhausted, and are refused in a transaction
 *   that writes (Fabric: "only supported in a read only transaction");
 * - history is newest first, items {txId, isDelete, value, timestamp: {seconds, nanos}};
 * - setEvent: one event per transaction, the last call wins;
 * - range/history calls return a promise that is also async-iterable, like fabric-shim's.
 */
import type { StateEntry, StateView } from './state-views.js';
import type { HistoryEntry } from './state-db.js';
import { TrackerError } from '@hyperprov/errors';

const COMPOSITEKEY_NS = '\x00';
const MIN_UNICODE_RUNE_VALUE = '\u0000';
const MAX_UNICODE_RUNE_VALUE = '\u{10ffff}';
const EMPTY_KEY_SUBSTITUTE = '\x01';

/** fabric-shim's iterator shape: next() and close(), nothing else. */
export interface ShimIterator<T> {
    next(): Promise<{ value: T; done: false } | { value?: undefined; done: true }>;
    close(): Promise<void>;
}

/** A state entry as fabric-shim's StateQueryIterator yields it. */
export interface KV {
    key: string;
    value: Buffer;
}

/** A history entry as fabric-shim's HistoryQueryIterator yields it. */
export interface KeyModification {
    txId: string;
    isDelete: boolean;
    value: Buffer;
    timestamp: { seconds: number; nanos: number };
}

/** What a transaction simulation produced. */
export interface TxEffects {
    /** Writes by key; undefined value = delete. */
    writes: Map<string, Buffer | undefined>;
    event?: { name: string; payload: Buffer };
}

/** Thrown by the stub when the contract misuses it (a bug in the contract, not bad user input). */
export class StubError extends Error {
    override name = 'StubError';
}

/** One transaction's stub; see the file comment for the Fabric semantics it keeps. */
export class EmbeddedStub {
    readonly #view: StateView;
    readonly #txId: string;
    readonly #timestampMs: number;
    readonly #channel: string;
    readonly #writes = new Map<string, Buffer | undefined>();
    #event: { name: string; payload: Buffer } | undefined;
    #paginated = false;
    readonly #iterators = new Set<ShimIterator<unknown>>();

    readonly #signal: AbortSignal | undefined;

    /** `signal` stops the simulation at its next read (long lineage queries, for example). */
    constructor(view: StateView, txId: string, timestampMs: number, options: { channel?: string; signal?: AbortSignal } = {}) {
        this.#view = view;
        this.#txId = txId;
        this.#timestampMs = timestampMs;
        this.#channel = options.channel ?? 'hyperprov';
        this.#signal = options.signal;
    }

    #checkAborted(): void {
        if (this.#signal?.aborted) throw new TrackerError('ABORTED', 'the operation was aborted; nothing was recorded', { cause: this.#signal.reason });
    }

    /** The simulation's results. */
    effects(): TxEffects {
        return this.#event ? { writes: this.#writes, event: this.#event } : { writes: this.#writes };
    }

    /** Closes iterators the contract left open (Fabric's peer does this at the end of a tx). */
    async closeIterators(): Promise<void> {
        await Promise.allSettled([...this.#iterators].map((it) => it.close()));
    }

    getTxID(): string {
        return this.#txId;
    }

    getChannelID(): string {
        return this.#channel;
    }

    getDateTimestamp(): Date {
        return new Date(this.#timestampMs);
    }

    getTxTimestamp(): { seconds: number; nanos: number } {
        return toTimestamp(this.#timestampMs);
    }

    async getState(key: string): Promise<Buffer> {
        this.#checkAborted();
        checkKeyType(key);
        const value = this.#view.get(key);
        return value === undefined ? Buffer.alloc(0) : Buffer.from(value);
    }

    async putState(key: string, value: Uint8Array | string): Promise<void> {
        this.#checkWrite(key);
        const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
        this.#writes.set(key, bytes.length === 0 ? undefined : bytes);
    }

    async deleteState(key: string): Promise<void> {
        this.#checkWrite(key);
        this.#writes.set(key, undefined);
    }

    setEvent(name: string, payload: Uint8Array | string): void {
        if (typeof name !== 'string' || name === '') throw new StubError('Event name must be a non-empty string');
        this.#event = { name, payload: typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload ?? []) };
    }

    createCompositeKey(objectType: string, attributes: string[]): string {
        validateCompositeKeyAttribute(objectType);
        if (!Array.isArray(attributes)) throw new StubError('attributes must be an array');
        let compositeKey = COMPOSITEKEY_NS + objectType + MIN_UNICODE_RUNE_VALUE;
        for (const attribute of attributes) {
            validateCompositeKeyAttribute(attribute);
            compositeKey += attribute + MIN_UNICODE_RUNE_VALUE;
        }
        return compositeKey;
    }

    splitCompositeKey(compositeKey: string): { objectType: string | null; attributes: string[] } {
        const result: { objectType: string | null; attributes: string[] } = { objectType: null, attributes: [] };
        if (compositeKey && compositeKey.length > 1 && compositeKey.charAt(0) === COMPOSITEKEY_NS) {
            const splitKey = compositeKey.substring(1).split(MIN_UNICODE_RUNE_VALUE);
            result.objectType = splitKey[0] ?? null;
            splitKey.pop();
            if (splitKey.length > 1) {
                splitKey.shift();
                result.attributes = splitKey;
            }
        }
        return result;
    }

    getStateByRange(startKey: string, endKey: string): Promise<ShimIterator<KV>> & AsyncIterable<KV> {
        return asyncIterablePromise(
            (async () => {
                const [start, end] = simpleRange(startKey, endKey);
                return this.#track(entryIterator(this.#view.range(start, end)));
            })(),
        );
    }

    getStateByRangeWithPagination(
        startKey: string,
        endKey: string,
        pageSize: number,
        bookmark?: string,
    ): Promise<{ iterator: ShimIterator<KV>; metadata: { fetchedRecordsCount: number; bookmark: string } }> &
        AsyncIterable<KV> {
        return asyncIterablePromise(
            (async () => {
                const [start, end] = simpleRange(startKey, endKey);
                return this.#page(start, end, pageSize, bookmark);
            })(),
        );
    }

    getStateByPartialCompositeKey(objectType: string, attributes: string[]): Promise<ShimIterator<KV>> & AsyncIterable<KV> {
        return asyncIterablePromise(
            (async () => {
                const [start, end] = this.#compositeRange(objectType, attributes);
                return this.#track(entryIterator(this.#view.range(start, end)));
            })(),
        );
    }

    getStateByPartialCompositeKeyWithPagination(
        objectType: string,
        attributes: string[],
        pageSize: number,
        bookmark?: string,
    ): Promise<{ iterator: ShimIterator<KV>; metadata: { fetchedRecordsCount: number; bookmark: string } }> &
        AsyncIterable<KV> {
        return asyncIterablePromise(
            (async () => {
                const [start, end] = this.#compositeRange(objectType, attributes);
                return this.#page(start, end, pageSize, bookmark);
            })(),
        );
    }

    getHistoryForKey(key: string): Promise<ShimIterator<KeyModification>> & AsyncIterable<KeyModification> {
        return asyncIterablePromise(
            (async () => {
                checkKeyType(key);
                return this.#track(historyIterator(this.#view.history(key)));
            })(),
        );
    }

    #compositeRange(objectType: string, attributes: string[]): [Buffer, Buffer] {
        const partial = this.createCompositeKey(objectType, attributes);
        return [Buffer.from(partial, 'utf8'), Buffer.from(partial + MAX_UNICODE_RUNE_VALUE, 'utf8')];
    }

    async #page(
        start: Buffer,
        end: Buffer,
        pageSize: number,
        bookmark: string | undefined,
    ): Promise<{ iterator: ShimIterator<KV>; metadata: { fetchedRecordsCount: number; bookmark: string } }> {
        if (this.#writes.size > 0) {
            throw new StubError(`txid [${this.#txId}]: unsupported transaction. Paginated queries are not allowed in update transactions`);
        }
        if (!Number.isSafeInteger(pageSize) || pageSize < 0) throw new StubError(`pageSize must be a non-negative integer, got ${pageSize}`);
        this.#paginated = true;
        const from = bookmark ? Buffer.from(bookmark, 'utf8') : start;
        const items: KV[] = [];
        let next = '';
        const scan = this.#view.range(from, end);
        try {
            for await (const entry of scan) {
                if (pageSize > 0 && items.length === pageSize) {
                    next = entry.key;
                    break;
                }
                items.push({ key: entry.key, value: entry.value });
            }
        } finally {
            await scan.return(undefined);
        }
        return { iterator: this.#track(arrayIterator(items)), metadata: { fetchedRecordsCount: items.length, bookmark: next } };
    }

    #checkWrite(key: string): void {
        checkKeyType(key);
        if (key === '') throw new StubError('key must not be an empty string');
        if (!(key as string & { isWellFormed(): boolean }).isWellFormed()) throw new StubError(`invalid key [${key}]: must be a valid UTF-8 string`);
        if (this.#paginated) {
            throw new StubError(`txid [${this.#txId}]: unsupported transaction. Queries with pagination are not supported in update transactions`);
        }
    }

    #track<T>(iterator: ShimIterator<T>): ShimIterator<T> {
        const iterators = this.#iterators;
        iterators.add(iterator as ShimIterator<unknown>);
        return {
            next: async () => {
                this.#checkAborted();
                return iterator.next();
            },
            close: async () => {
                iterators.delete(iterator as ShimIterator<unknown>);
                await iterator.close();
            },
        };
    }
}

/** Milliseconds since the epoch as a protobuf Timestamp object. */
export function toTimestamp(ms: number): { seconds: number; nanos: number } {
    const seconds = Math.floor(ms / 1000);
    return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

function checkKeyType(key: unknown): asserts key is string {
    if (typeof key !== 'string') throw new StubError(`key must be a string, got ${typeof key}`);
}

function validateCompositeKeyAttribute(attr: unknown): void {
    if (!attr || typeof attr !== 'string' || attr.length === 0) {
        throw new StubError('object type or attribute not a non-zero length string');
    }
}

function simpleRange(startKey: string, endKey: string): [Buffer, Buffer] {
    const start = startKey || EMPTY_KEY_SUBSTITUTE;
    for (const key of [start, endKey]) {
        if (key && typeof key === 'string' && key.charAt(0) === COMPOSITEKEY_NS) {
            throw new StubError(`first character of the key [${key}] contains a null character which is not allowed`);
        }
    }
    // An empty end key means unbounded; UTF-8 never contains 0xff, so [0xff] is past every key.
    return [Buffer.from(start, 'utf8'), endKey ? Buffer.from(endKey, 'utf8') : Buffer.of(0xff)];
}

function entryIterator(source: AsyncGenerator<StateEntry>): ShimIterator<KV> {
    return {
        next: async () => {
            const result = await source.next();
            return result.done ? { done: true } : { done: false, value: { key: result.value.key, value: result.value.value } };
        },
        close: async () => {
            await source.return(undefined);
        },
    };
}

function historyIterator(source: AsyncGenerator<HistoryEntry>): ShimIterator<KeyModification> {
    return {
        next: async () => {
            const result = await source.next();
            if (result.done) return { done: true };
            const entry = result.value;
            return {
                done: false,
                value: {
                    txId: entry.txId,
                    isDelete: entry.isDelete,
                    value: Buffer.from(entry.value),
                    timestamp: toTimestamp(entry.timestampMs),
                },
            };
        },
        close: async () => {
            await source.return(undefined);
        },
    };
}

function arrayIterator<T>(items: T[]): ShimIterator<T> {
    let index = 0;
    return {
        next: async () => (index < items.length ? { done: false, value: items[index++] as T } : { done: true }),
        close: async () => {
            index = items.length;
        },
    };
}

/**
 * Makes a promise of an iterator (or of {iterator, metadata}) async-iterable, closing the
 * iterator when the loop ends or breaks: fabric-shim's convertToAsyncIterator.
 */
function asyncIterablePromise<R extends ShimIterator<T> | { iterator: ShimIterator<T> }, T>(
    promise: Promise<R>,
): Promise<R> & AsyncIterable<T> {
    const iterable = promise as Promise<R> & AsyncIterable<T>;
    // Rejections surface when awaited or iterated; avoid an unhandled rejection in between.
    promise.catch(() => undefined);
    iterable[Symbol.asyncIterator] = () => {
        let iterator: ShimIterator<T> | undefined;
        return {
            next: async () => {
                if (!iterator) {
                    const response = await promise;
                    iterator = 'iterator' in response ? response.iterator : response;
                }
                const result = await iterator.next();
                if (result.done) await iterator.close();
                return result as IteratorResult<T>;
            },
            return: async () => {
                await iterator?.close();
                return { done: true, value: undefined };
            },
        };
    };
    return iterable;
}
