/**
 * Coalescing: concurrent single-record `set` calls are gathered into `setMany` transactions, so
 * 64 calls in flight share a few transactions (and a block's latency) instead of paying one
 * each. Each caller still gets its own record and SubmitResult, shaped exactly like a `set`'s:
 * `result` is the canonical JSON of its record and `transactionId` is its record id, which for a
 * batch of n ≥ 2 is `<txId>.<i>` (the contract's batch ids). A batch of one is sent as a plain
 * `set`, so a lone record's id is its transaction id.
 *
 * When a batch goes:
 * - at once (next turn of the event loop) when nothing is in flight, so a lone call never
 *   waits the window;
 * - otherwise after `windowMs`, or as soon as it reaches `maxRecords` or `maxBytes`;
 * - at most `maxInFlight` batches are in flight; more records meanwhile make larger batches.
 * What a batch may hold:
 * - never two records of one key (the contract refuses a batch like that; also, versions of a
 *   key must commit in call order): a second record of a key goes to a later batch, and a batch
 *   is not sent while an earlier batch holding one of its keys is in flight;
 * - only inputs that are JSON objects with a string key and no `$n` batch references (those mean
 *   something else inside setMany); anything else is sent as its own `set`, unchanged, so the
 *   contract answers it exactly as before.
 * When a batch fails:
 * - certainly not recorded (no transactionId on the error) with a contract or conflict code: its
 *   records are sent again one by one as plain `set`s, so only the bad one fails, with the
 *   error a lone `set` would get;
 * - outcome unknown (transactionId on the error): never resent (it might record twice); each
 *   caller gets the error with its own record id;
 * - anything else (network down): each caller gets the error.
 */
import { TrackerError, type TrackerErrorCode } from '@hyperprov/errors';
import type { SubmitResult } from '@hyperprov/ledger';
import { BATCH_REF_PATTERN, canonicalJson, normalizeKey, type ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { forBatchItem } from './gateway-errors.js';

/** Tuning of {@link SetCoalescer}. */
export interface CoalescerOptions {
    /** How long records wait for company while a batch is in flight, ms. Default 5. */
    windowMs: number;
    /** Most records in one setMany. Default 32 (the contract allows up to 1000). */
    maxRecords: number;
    /** Most input bytes (UTF-8 JSON) in one setMany. Default 512 KiB. */
    maxBytes: number;
    /** Most batches in flight at once. Default 8. */
    maxInFlight: number;
}

/** Sends one `set` or `setMany` transaction and resolves once it is committed. */
export type BatchSubmit = (fn: 'set' | 'setMany', input: string, signal?: AbortSignal) => Promise<SubmitResult>;

interface Item {
    input: string;
    key: string;
    bytes: number;
    signal: AbortSignal | undefined;
    /** Takes the item out of its forming batch when its signal aborts; removed once sent. */
    onAbort?: () => void;
    resolve(result: SubmitResult): void;
    reject(error: unknown): void;
}

interface Batch {
    items: Item[];
    keys: Set<string>;
    bytes: number;
}

/** Errors after which a batch's records are sent again one by one (see the file comment). */
const FALLBACK_CODES: ReadonlySet<TrackerErrorCode> = new Set(['INVALID_ARGUMENT', 'DEPENDENCY_NOT_FOUND', 'NOT_FOUND', 'CONFLICT', 'INTERNAL']);

export class SetCoalescer {
    readonly #submit: BatchSubmit;
    readonly #options: CoalescerOptions;
    /** Batches being filled, oldest first. */
    #forming: Batch[] = [];
    /** Keys of the batches in flight (one entry per batch holding the key). */
    readonly #inFlightKeys = new Map<string, number>();
    #inFlight = 0;
    #timer: { cancel(): void } | undefined;

    constructor(submit: BatchSubmit, options: CoalescerOptions) {
        this.#submit = submit;
        this.#options = options;
    }

    /** Number of batches in flight (for tests and close()). */
    get inFlight(): number {
        return this.#inFlight;
    }

    /** Records `input` (the argument of a `set`), alone or in a batch. */
    set(input: string, signal?: AbortSignal): Promise<SubmitResult> {
        const key = coalescableKey(input);
        const bytes = Buffer.byteLength(input, 'utf8');
        if (key === undefined || bytes > this.#options.maxBytes) return this.#submit('set', input, signal);
        if (signal?.aborted) return Promise.reject(aborted(signal));
        return new Promise<SubmitResult>((resolve, reject) => {
            const item: Item = { input, key, bytes, signal, resolve, reject };
            if (signal) {
                item.onAbort = () => this.#withdraw(item);
                signal.addEventListener('abort', item.onAbort, { once: true });
            }
            this.#add(item);
        });
    }

    /** An aborted item still waiting leaves its batch; nothing of it was sent. */
    #withdraw(item: Item): void {
        for (const batch of this.#forming) {
            const at = batch.items.indexOf(item);
            if (at < 0) continue;
            batch.items.splice(at, 1);
            batch.keys.delete(item.key);
            batch.bytes -= item.bytes;
            item.reject(aborted(item.signal as AbortSignal));
        }
        this.#forming = this.#forming.filter((b) => b.items.length > 0);
    }

    #add(item: Item): void {
        const { maxRecords, maxBytes } = this.#options;
        let batch = this.#forming.find((b) => !b.keys.has(item.key) && b.items.length < maxRecords && b.bytes + item.bytes <= maxBytes);
        if (!batch) {
            batch = { items: [], keys: new Set(), bytes: 0 };
            this.#forming.push(batch);
        }
        batch.items.push(item);
        batch.keys.add(item.key);
        batch.bytes += item.bytes;
        if (batch.items.length >= maxRecords || batch.bytes >= maxBytes) this.#flush();
        else this.#schedule();
    }

    #schedule(): void {
        if (this.#timer) return;
        if (this.#inFlight === 0) {
            // Idle: go on the next turn, which still gathers calls made in the same burst.
            const handle = setImmediate(() => this.#fire());
            this.#timer = { cancel: () => clearImmediate(handle) };
        } else {
            const handle = setTimeout(() => this.#fire(), this.#options.windowMs);
            this.#timer = { cancel: () => clearTimeout(handle) };
        }
    }

    #fire(): void {
        this.#timer = undefined;
        this.#flush();
    }

    /** Sends what can go now: oldest first, within maxInFlight, never overtaking a key in flight. */
    #flush(): void {
        this.#timer?.cancel();
        this.#timer = undefined;
        const waiting: Batch[] = [];
        for (const batch of this.#forming) {
            const blocked = [...batch.keys].some((k) => this.#inFlightKeys.has(k)) || waiting.some((w) => [...batch.keys].some((k) => w.keys.has(k)));
            if (this.#inFlight >= this.#options.maxInFlight || blocked) waiting.push(batch);
            else this.#send(batch);
        }
        this.#forming = waiting;
    }

    #send(batch: Batch): void {
        const live = batch.items;
        for (const item of live) if (item.onAbort) item.signal?.removeEventListener('abort', item.onAbort);
        if (live.length === 0) return;
        this.#inFlight += 1;
        for (const key of batch.keys) this.#inFlightKeys.set(key, (this.#inFlightKeys.get(key) ?? 0) + 1);
        const done = live.length === 1 ? this.#sendOne(live[0] as Item) : this.#sendMany(live);
        void done.finally(() => {
            this.#inFlight -= 1;
            for (const key of batch.keys) {
                const n = (this.#inFlightKeys.get(key) ?? 1) - 1;
                if (n === 0) this.#inFlightKeys.delete(key);
                else this.#inFlightKeys.set(key, n);
            }
            // Whatever gathered meanwhile has waited long enough.
            if (this.#forming.length > 0) this.#flush();
        });
    }

    async #sendOne(item: Item): Promise<void> {
        try {
            item.resolve(await this.#submit('set', item.input, item.signal));
        } catch (error) {
            item.reject(error);
        }
    }

    async #sendMany(items: Item[]): Promise<void> {
        let committed: SubmitResult;
        try {
            committed = await this.#submit('setMany', `[${items.map((i) => i.input).join(',')}]`);
        } catch (error) {
            if (error instanceof TrackerError && error.transactionId === undefined && FALLBACK_CODES.has(error.code)) {
                // Certainly not recorded: one by one, so only the bad record fails, as a lone set would.
                await Promise.all(items.map((item) => this.#sendOne(item)));
                return;
            }
            for (const [n, item] of items.entries()) {
                const tx = error instanceof TrackerError ? error.transactionId : undefined;
                item.reject(tx !== undefined && error instanceof TrackerError ? forBatchItem(error, tx, `${tx}.${n}`) : error);
            }
            return;
        }
        let records: ProvenanceRecord[];
        try {
            records = JSON.parse(committed.result) as ProvenanceRecord[];
            if (!Array.isArray(records) || records.length !== items.length) throw new Error(`expected ${items.length} records`);
        } catch (error) {
            const wrong = new TrackerError(
                'INTERNAL',
                `setMany ${committed.transactionId} was committed but returned an unexpected result (${(error as Error).message}); the records are on the ledger under ids ${committed.transactionId}.<n>; this is a bug, please report it`,
                { cause: error },
            );
            for (const item of items) item.reject(wrong);
            return;
        }
        for (const [n, item] of items.entries()) {
            const record = records[n] as ProvenanceRecord;
            item.resolve({ transactionId: record.id, blockNumber: committed.blockNumber, result: canonicalJson(record) });
        }
    }
}

function aborted(signal: AbortSignal): TrackerError {
    return new TrackerError('ABORTED', 'set was aborted before it was sent to the orderers; nothing was recorded', { cause: signal.reason });
}

/** The stored key of a `set` input that may join a batch, or undefined when it must go alone. */
export function coalescableKey(input: string): string | undefined {
    let parsed: unknown;
    try {
        parsed = JSON.parse(input);
    } catch {
        return undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const { key, dependencies } = parsed as { key?: unknown; dependencies?: unknown };
    if (typeof key !== 'string') return undefined;
    if (dependencies !== undefined && (!Array.isArray(dependencies) || dependencies.some((d) => typeof d !== 'string' || BATCH_REF_PATTERN.test(d)))) return undefined;
    // The contract compares keys in their stored (NFC) form.
    return normalizeKey(key);
}
