/**
 * In-memory stand-in for a Fabric peer, for unit tests only (excluded from the build). It keeps
 * the Fabric semantics the contract depends on: no read-your-writes (reads see state committed
 * before the transaction), writes applied only when the transaction succeeds, history newest
 * first, keys ordered by UTF-8 bytes, composite keys `\u0000type\u0000attr\u0000`, paginated
 * queries refused in update transactions, bookmarks = next key or '' when exhausted.
 */
import type { Context } from 'fabric-contract-api';

const NS = '\u0000';
const MAX_RUNE = '\u{10ffff}';

interface HistoryEntry {
    txId: string;
    value: Buffer;
    isDelete: boolean;
    timestamp: Date;
}

/** One committed transaction as the fake saw it. */
export interface FakeTx {
    txId: string;
    events: { name: string; payload: string }[];
    writes: Map<string, Buffer | null>;
}

export interface TxOptions {
    txId?: string;
    timestamp?: Date;
    mspId?: string;
    id?: string;
    /** Read-only transaction (evaluate): paginated queries allowed, writes refused. */
    readOnly?: boolean;
}

let counter = 0;

export class FakeLedger {
    readonly state = new Map<string, Buffer>();
    readonly history = new Map<string, HistoryEntry[]>();
    readonly committed: FakeTx[] = [];
    /** Number of getState calls, to check memoisation. */
    getStateCalls = 0;
    /** getHistoryForKey calls, history entries read through their iterators, and history iterators not yet closed. */
    historyCalls = 0;
    historyEntriesRead = 0;
    openIterators = 0;
    /** The channel the stub reports (two fake ledgers can pose as two channels). */
    channel = 'hyperprov';

    /** Runs `fn` as one transaction; its writes are applied only if it resolves. */
    async submit<T>(fn: (ctx: Context) => Promise<T>, options: TxOptions = {}): Promise<T> {
        const tx = this.context(options);
        const result = await fn(tx.ctx);
        this.commit(tx.record, options.timestamp ?? tx.timestamp);
        return result;
    }

    /** Runs `fn` read-only; any write fails, nothing is committed. */
    async evaluate<T>(fn: (ctx: Context) => Promise<T>, options: TxOptions = {}): Promise<T> {
        return fn(this.context({ ...options, readOnly: true }).ctx);
    }

    /** Writes state directly, bypassing the contract (to build corrupt states such as cycles). */
    putRaw(key: string, value: string): void {
        this.commit({ txId: `raw${++counter}`, events: [], writes: new Map([[key, Buffer.from(value)]]) }, new Date());
    }

    /** Composite key in Fabric's format. */
    static compositeKey(type: string, attributes: string[]): string {
        return `${NS}${type}${NS}${attributes.map((a) => `${a}${NS}`).join('')}`;
    }

    private sorted: string[] | undefined;

    /** Keys in state, Fabric order (UTF-8 byte order); cached until the next commit. */
    sortedKeys(): string[] {
        this.sorted ??= [...this.state.keys()].sort(compareKeys);
        return this.sorted;
    }

    private commit(record: FakeTx, timestamp: Date): void {
        this.sorted = undefined;
        for (const [key, value] of record.writes) {
            const entries = this.history.get(key) ?? [];
            entries.unshift({ txId: record.txId, value: value ?? Buffer.alloc(0), isDelete: value === null, timestamp });
            this.history.set(key, entries);
            if (value === null) this.state.delete(key);
            else this.state.set(key, value);
        }
        this.committed.push(record);
    }

    private context(options: TxOptions): { ctx: Context; record: FakeTx; timestamp: Date } {
        const seq = ++counter;
        const txId = options.txId ?? `tx${String(seq).padStart(6, '0')}`;
        // Strictly increasing per transaction, like block order on a peer.
        const timestamp = options.timestamp ?? new Date(Date.UTC(2026, 0, 1) + seq * 1000);
        const record: FakeTx = { txId, events: [], writes: new Map() };
        const readOnly = options.readOnly === true;
        const ledger = this;
        const write = (key: string, value: Buffer | null): void => {
            if (readOnly) throw new Error('fake ledger: write in a read-only (evaluate) transaction');
            if (typeof key !== 'string' || key === '') throw new Error('fake ledger: key must not be empty');
            if (value !== null && value.length === 0) throw new Error('fake ledger: empty value (Fabric treats it as a delete)');
            record.writes.set(key, value);
        };
        const range = (start: string, end: string): [string, Buffer][] => {
            const keys = ledger.sortedKeys();
            const result: [string, Buffer][] = [];
            for (let i = lowerBound(keys, start); i < keys.length; i++) {
                const key = keys[i] as string;
                if (end !== '' && compareKeys(key, end) >= 0) break;
                result.push([key, ledger.state.get(key) as Buffer]);
            }
            return result;
        };
        const paged = (start: string, end: string, pageSize: number, bookmark: string) => {
            if (!readOnly) throw new Error('fake ledger: paginated queries are only valid in read-only transactions');
            const all = range(bookmark !== '' ? bookmark : start, end);
            const page = all.slice(0, pageSize);
            const next = all[pageSize];
            return {
                iterator: iterator(page.map(([key, value]) => ({ namespace: 'hyperprov', key, value }))),
                metadata: { fetchedRecordsCount: page.length, bookmark: next ? next[0] : '' },
            };
        };
        const stub = {
            getTxID: () => txId,
            getChannelID: () => ledger.channel,
            getDateTimestamp: () => new Date(timestamp.getTime()),
            getState: async (key: string) => {
                ledger.getStateCalls++;
                return Buffer.from(ledger.state.get(key) ?? Buffer.alloc(0));
            },
            putState: async (key: string, value: Uint8Array) => write(key, Buffer.from(value)),
            deleteState: async (key: string) => write(key, null),
            getStateByRange: async (start: string, end: string) => {
                assertSimple(start, end);
                return iterator(range(start || '\u0001', end).map(([key, value]) => ({ namespace: 'hyperprov', key, value })));
            },
            getStateByRangeWithPagination: async (start: string, end: string, pageSize: number, bookmark = '') => {
                assertSimple(start, end);
                return paged(start || '\u0001', end, pageSize, bookmark);
            },
            getStateByPartialCompositeKey: async (type: string, attributes: string[]) => {
                const start = FakeLedger.compositeKey(type, attributes);
                return iterator(range(start, start + MAX_RUNE).map(([key, value]) => ({ namespace: 'hyperprov', key, value })));
            },
            getStateByPartialCompositeKeyWithPagination: async (
                type: string,
                attributes: string[],
                pageSize: number,
                bookmark = '',
            ) => {
                const start = FakeLedger.compositeKey(type, attributes);
                return paged(start, start + MAX_RUNE, pageSize, bookmark);
            },
            createCompositeKey: (type: string, attributes: string[]) => {
                for (const part of [type, ...attributes]) {
                    if (typeof part !== 'string' || part === '') throw new Error('object type or attribute not a non-zero length string');
                    if (part.includes(NS)) throw new Error('composite key part contains U+0000');
                }
                return FakeLedger.compositeKey(type, attributes);
            },
            splitCompositeKey: (key: string) => {
                const parts = key.split(NS).slice(1, -1);
                return { objectType: parts[0] ?? '', attributes: parts.slice(1) };
            },
            getHistoryForKey: async (key: string) => {
                ledger.historyCalls++;
                ledger.openIterators++;
                return iterator(
                    (ledger.history.get(key) ?? []).map((h) => ({
                        txId: h.txId,
                        value: Buffer.from(h.value),
                        isDelete: h.isDelete,
                        timestamp: { seconds: Math.floor(h.timestamp.getTime() / 1000), nanos: 0 },
                    })),
                    {
                        read: () => void ledger.historyEntriesRead++,
                        closed: () => void ledger.openIterators--,
                    },
                );
            },
            setEvent: (name: string, payload: Uint8Array) => {
                if (readOnly) throw new Error('fake ledger: event in a read-only transaction');
                record.events.push({ name, payload: Buffer.from(payload).toString('utf8') });
            },
        };
        const clientIdentity = {
            getID: () => options.id ?? 'x509::/CN=alice::/CN=ca.org1',
            getMSPID: () => options.mspId ?? 'Org1MSP',
        };
        return { ctx: { stub, clientIdentity } as unknown as Context, record, timestamp };
    }
}

function assertSimple(...keys: string[]): void {
    for (const key of keys) if (key.startsWith(NS)) throw new Error('first character of the key contains a null character');
}

function compareKeys(a: string, b: string): number {
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function lowerBound(keys: string[], target: string): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareKeys(keys[mid] as string, target) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

function iterator<T>(items: T[], hooks: { read?: () => void; closed?: () => void } = {}) {
    let i = 0;
    let closed = false;
    return {
        get closed() {
            return closed;
        },
        next: async () => {
            if (i >= items.length) return { value: undefined, done: true };
            hooks.read?.();
            return { value: items[i++] as T, done: false };
        },
        close: async () => {
            if (!closed) hooks.closed?.();
            closed = true;
        },
    };
}
