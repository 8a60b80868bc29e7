/**
 * Reads a model's earlier checkpoints through its key's history during an upstream walk.
 *
 * A training run records one key per model, each checkpoint depending on the one before, so the
 * lineage of epoch 1000 is 1000 versions of one key. Read by id, that is 1000 sequential round
 * trips from the chaincode to its peer (about 0.3 ms each on 2 cores); the key's history returns
 * them a hundred per round trip (a first walk of 1000 versions on 2 cores: 160-200 ms instead of
 * about 410; bench/fabric.mjs).
 *
 * The history is only used for a key once the walk has met a record depending on an earlier
 * version of its own key (learned from an ordinary read), and it is given up for that key when
 * a page of it does not hold the record looked for (an old root, whose newer versions come first,
 * or a key whose versions are not a chain): a walk never reads more than one page in vain per key.
 * The values in a key's history are the records themselves, as written under the key by the
 * transaction that wrote the record's own entry.
 */
import type { Iterators } from 'fabric-shim-api';
import type { ProvenanceRecord } from './record';
import { decodeRecord, type ProvenanceContext } from './state-access';

/** Versions read from a history in one go before it is judged not to hold a record. */
const PAGE = 100;

export class ChainReader {
    readonly #ctx: ProvenanceContext;
    readonly #histories = new Map<string, KeyHistory>();

    constructor(ctx: ProvenanceContext) {
        this.#ctx = ctx;
    }

    /** The record `id` from the history of `from`'s key, when that key is read as a chain; else undefined. */
    find(id: string, from: ProvenanceRecord): Promise<ProvenanceRecord | undefined> {
        return this.#histories.get(from.key)?.find(id) ?? Promise.resolve(undefined);
    }

    /** Told of each record read by id: one that is an earlier version of its child's key starts chain reading. */
    learn(record: ProvenanceRecord, from: ProvenanceRecord): void {
        if (record.key === from.key && !this.#histories.has(from.key)) this.#histories.set(from.key, new KeyHistory(this.#ctx, from.key));
    }

    /** Closes every history iterator (always call it when the walk ends). */
    async close(): Promise<void> {
        await Promise.all([...this.#histories.values()].map((history) => history.close()));
    }
}

class KeyHistory {
    readonly #ctx: ProvenanceContext;
    readonly #key: string;
    readonly #seen = new Map<string, ProvenanceRecord>();
    #iterator: Iterators.HistoryQueryIterator | undefined;
    #ended = false;
    // One reader at a time: a level's fetches run concurrently, the iterator is sequential.
    #queue: Promise<unknown> = Promise.resolve();

    constructor(ctx: ProvenanceContext, key: string) {
        this.#ctx = ctx;
        this.#key = key;
    }

    find(id: string): Promise<ProvenanceRecord | undefined> {
        const found = this.#queue.then(() => this.#find(id));
        this.#queue = found.catch(() => undefined);
        return found;
    }

    async #find(id: string): Promise<ProvenanceRecord | undefined> {
        const seen = this.#seen.get(id);
        if (seen !== undefined || this.#ended) return seen;
        this.#iterator ??= await this.#ctx.stub.getHistoryForKey(this.#key);
        for (let n = 0; n < PAGE; n++) {
            const next = await this.#iterator.next();
            // As in drain(): take a value before looking at done.
            const mod = next.value;
            if (mod !== undefined && mod !== null && !mod.isDelete) {
                const record = decodeRecord(mod.value, `history of ${this.#key}`);
                this.#seen.set(record.id, record);
                if (record.id === id) return record;
            }
            if (next.done) break;
        }
        // Exhausted, or a page in vain: read the rest of this walk by id.
        await this.close();
        return undefined;
    }

    async close(): Promise<void> {
        this.#ended = true;
        const iterator = this.#iterator;
        this.#iterator = undefined;
        await iterator?.close();
    }
}
