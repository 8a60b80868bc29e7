/**
 * State views: world state as one transaction simulation sees it. Two kinds exist: committed
 * state in LevelDB (evaluate) with a bounded read cache, and committed state plus the writes of
 * transactions that are ordered but not yet applied (submit), so concurrently submitted
 * transactions see each other in order without waiting for the previous block's fsync.
 */
import {
    NS_STATE,
    decodeHistory,
    historyPrefix,
    prefixEnd,
    stateKey,
    type Db,
    type HistoryEntry,
} from './state-db.js';

type AbstractSnapshot = ReturnType<Db['snapshot']>;

/** A state entry yielded by a range scan. */
export interface StateEntry {
    key: string;
    value: Buffer;
}

/** World state as one transaction simulation sees it. */
export interface StateView {
    /** Current value of `key`, or undefined. Synchronous: LevelDB point reads use getSync. */
    get(key: string): Buffer | undefined;
    /** Entries with UTF-8 key bytes in [start, end), in byte order. */
    range(start: Buffer, end: Buffer): AsyncGenerator<StateEntry>;
    /** Versions of `key`, newest first. */
    history(key: string): AsyncGenerator<HistoryEntry>;
}

const SCAN_BATCH = 128;

/**
 * A bounded LRU cache of committed state values (undefined = known absent). Lineage queries read
 * the same records again and again; a Map hit is ~20x cheaper than a LevelDB read.
 */
export class StateCache {
    readonly #max: number;
    readonly #map = new Map<string, Buffer | null>();

    constructor(max: number) {
        this.#max = max;
    }

    /** Buffer, null when known absent, undefined when not cached. */
    get(key: string): Buffer | null | undefined {
        const value = this.#map.get(key);
        if (value !== undefined) {
            // Refresh recency.
            this.#map.delete(key);
            this.#map.set(key, value);
        }
        return value;
    }

    set(key: string, value: Buffer | null): void {
        if (this.#max <= 0) return;
        this.#map.delete(key);
        this.#map.set(key, value);
        if (this.#map.size > this.#max) {
            const oldest = this.#map.keys().next().value as string;
            this.#map.delete(oldest);
        }
    }

    /** After a block is applied: refresh keys we hold, leave others out. */
    update(key: string, value: Buffer | undefined): void {
        if (this.#map.has(key)) this.#map.set(key, value ?? null);
    }

    clear(): void {
        this.#map.clear();
    }
}

/** Shared state of the committed store: the DB, its cache and where block application stands. */
export interface CommittedStore {
    db: Db;
    cache: StateCache;
    /** True while a block's batch is being written: the cache may lag LevelDB then. */
    applying: boolean;
    /** Incremented after every applied block, so snapshot views can tell the cache moved on. */
    generation: number;
}

/**
 * Committed state. Without a snapshot (the base of the pending view) reads see the latest applied
 * block. With a snapshot (evaluate) every read sees one point in time; the cache, which always
 * reflects the latest applied block, is used only while it still matches the snapshot.
 */
export function committedView(store: CommittedStore, snapshot?: AbstractSnapshot): StateView & { close(): Promise<void> } {
    const createdWhileApplying = store.applying;
    const generationAtStart = store.generation;
    const cacheUsable = (): boolean =>
        !snapshot || (!createdWhileApplying && !store.applying && store.generation === generationAtStart);
    const readOptions = snapshot ? { snapshot } : {};
    return {
        get(key) {
            if (cacheUsable()) {
                const cached = store.cache.get(key);
                if (cached !== undefined) return cached ?? undefined;
            }
            const value = store.db.getSync(stateKey(key), readOptions);
            if (!store.applying && cacheUsable()) store.cache.set(key, value ?? null);
            return value;
        },
        range(start, end) {
            return scanState(store.db, start, end, snapshot);
        },
        history(key) {
            return scanHistory(store.db, key, snapshot);
        },
        async close() {
            await snapshot?.close();
        },
    };
}

async function* scanState(db: Db, start: Buffer, end: Buffer, snapshot?: AbstractSnapshot): AsyncGenerator<StateEntry> {
    if (Buffer.compare(start, end) >= 0) return;
    const iterator = db.iterator({
        gte: withNamespace(NS_STATE, start),
        lt: withNamespace(NS_STATE, end),
        ...(snapshot ? { snapshot } : {}),
    });
    try {
        for (;;) {
            const entries = await iterator.nextv(SCAN_BATCH);
            if (entries.length === 0) return;
            for (const [key, value] of entries) yield { key: key.toString('utf8', 1), value };
        }
    } finally {
        await iterator.close();
    }
}

async function* scanHistory(db: Db, key: string, snapshot?: AbstractSnapshot): AsyncGenerator<HistoryEntry> {
    const prefix = historyPrefix(key);
    const iterator = db.iterator({ gte: prefix, lt: prefixEnd(prefix), reverse: true, ...(snapshot ? { snapshot } : {}) });
    try {
        for (;;) {
            const entries = await iterator.nextv(SCAN_BATCH);
            if (entries.length === 0) return;
            // A key's entries are exactly prefix + 12 bytes; longer keys sharing the prefix cannot
            // occur because the prefix carries the key length.
            for (const [, value] of entries) yield decodeHistory(value);
        }
    } finally {
        await iterator.close();
    }
}

function withNamespace(ns: number, bytes: Buffer): Buffer {
    const out = Buffer.allocUnsafe(bytes.length + 1);
    out[0] = ns;
    bytes.copy(out, 1);
    return out;
}

/** A transaction that is ordered (will be in a block) but not yet applied to LevelDB. */
export interface PendingTx {
    seq: number;
    id: string;
    timestampMs: number;
    writes: Map<string, Buffer | undefined>;
}

/**
 * Writes of ordered-but-unapplied transactions. Entries are removed once their block is applied,
 * so the overlay stays as small as the commit pipeline.
 */
export class Overlay {
    readonly #latest = new Map<string, { value: Buffer | undefined; seq: number }>();
    readonly #txs: PendingTx[] = [];

    get size(): number {
        return this.#txs.length;
    }

    add(tx: PendingTx): void {
        this.#txs.push(tx);
        for (const [key, value] of tx.writes) this.#latest.set(key, { value, seq: tx.seq });
    }

    /** Drops transactions up to and including `seq` (their block is now in LevelDB). */
    release(seq: number): void {
        let count = 0;
        while (count < this.#txs.length && (this.#txs[count] as PendingTx).seq <= seq) count++;
        const released = this.#txs.splice(0, count);
        for (const tx of released) {
            for (const key of tx.writes.keys()) {
                const entry = this.#latest.get(key);
                if (entry && entry.seq <= seq) this.#latest.delete(key);
            }
        }
    }

    /** Drops everything (after a failed commit). */
    clear(): void {
        this.#txs.length = 0;
        this.#latest.clear();
    }

    lookup(key: string): { value: Buffer | undefined } | undefined {
        return this.#latest.get(key);
    }

    /** Overlay entries with UTF-8 key in [start, end), sorted by bytes. */
    entriesIn(start: Buffer, end: Buffer): { key: string; bytes: Buffer; value: Buffer | undefined }[] {
        const out: { key: string; bytes: Buffer; value: Buffer | undefined }[] = [];
        for (const [key, entry] of this.#latest) {
            const bytes = Buffer.from(key, 'utf8');
            if (Buffer.compare(bytes, start) >= 0 && Buffer.compare(bytes, end) < 0) out.push({ key, bytes, value: entry.value });
        }
        return out.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    }

    /** Pending versions of `key`, newest first. */
    historyOf(key: string): HistoryEntry[] {
        const out: HistoryEntry[] = [];
        for (let i = this.#txs.length - 1; i >= 0; i--) {
            const tx = this.#txs[i] as PendingTx;
            if (!tx.writes.has(key)) continue;
            const value = tx.writes.get(key);
            out.push({ txId: tx.id, isDelete: value === undefined, timestampMs: tx.timestampMs, value: value ?? Buffer.alloc(0) });
        }
        return out;
    }
}

/** Committed state plus the overlay: what a newly submitted transaction reads. */
export function pendingView(committed: StateView, overlay: Overlay): StateView {
    return {
        get(key) {
            const entry = overlay.lookup(key);
            return entry ? entry.value : committed.get(key);
        },
        range(start, end) {
            // Captured now, together with the LevelDB iterator's implicit snapshot below.
            const pending = overlay.entriesIn(start, end);
            const base = committed.range(start, end);
            return pending.length === 0 ? base : mergeRanges(base, pending);
        },
        async *history(key) {
            yield* overlay.historyOf(key);
            yield* committed.history(key);
        },
    };
}

async function* mergeRanges(
    base: AsyncGenerator<StateEntry>,
    pending: { key: string; bytes: Buffer; value: Buffer | undefined }[],
): AsyncGenerator<StateEntry> {
    let index = 0;
    try {
        for await (const entry of base) {
            const bytes = Buffer.from(entry.key, 'utf8');
            while (index < pending.length) {
                const next = pending[index] as (typeof pending)[number];
                const order = Buffer.compare(next.bytes, bytes);
                if (order > 0) break;
                index++;
                if (next.value !== undefined) yield { key: next.key, value: next.value };
                if (order === 0) break;
            }
            const shadowed = index > 0 && Buffer.compare((pending[index - 1] as (typeof pending)[number]).bytes, bytes) === 0;
            if (!shadowed) yield entry;
        }
        for (; index < pending.length; index++) {
            const next = pending[index] as (typeof pending)[number];
            if (next.value !== undefined) yield { key: next.key, value: next.value };
        }
    } finally {
        await base.return(undefined);
    }
}
