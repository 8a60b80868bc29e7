/**
 * A typed client over any Ledger (embedded or Fabric): builds the string arguments the contract
 * takes, parses its canonical-JSON results, and validates input client-side with the contract's
 * own helpers, so bad input fails fast with a clear message and never costs a transaction.
 */
import {
    LIMITS,
    assertValidChecksum,
    assertValidId,
    assertValidKey,
    assertValidRangeKey,
    assertValidRunId,
    parseContractError,
    validateRecordInput,
    type HashCheck,
    type LineageGraph,
    type Page,
    type ProvenanceRecord,
    type RecordInput,
    type RunDetails,
    type RunSummary,
} from '@hyperprov/chaincode/protocol';
import { TrackerError } from '@hyperprov/errors';
import type { Ledger } from '@hyperprov/ledger';

/** Paging of one query: how many items, and where the previous page stopped. */
export interface PageOptions {
    /** 1..LIMITS.pageSize; default 100. */
    pageSize?: number;
    /** Bookmark of the previous page; empty or absent for the first page. */
    bookmark?: string;
    signal?: AbortSignal;
}

/** Options of a lineage query. */
export interface LineageOptions {
    /** How many levels to follow, 0..LIMITS.depth; default: unlimited (LIMITS.depth). */
    depth?: number;
    signal?: AbortSignal;
}

/** A record just committed, with the block that holds it. */
export interface Committed<T> {
    value: T;
    transactionId: string;
    blockNumber: bigint;
}

/** Typed provenance operations over a Ledger. Create with {@link createProvenanceClient}. */
export interface ProvenanceClient {
    /** Records one item; resolves once committed. */
    set(input: RecordInput, options?: { signal?: AbortSignal }): Promise<Committed<ProvenanceRecord>>;
    /** Records many items in one transaction (all or nothing); dependencies may use `$n` for the n-th item. */
    setMany(inputs: readonly RecordInput[], options?: { signal?: AbortSignal }): Promise<Committed<ProvenanceRecord[]>>;
    /** The latest record of `key`; NOT_FOUND when the key was never recorded. */
    get(key: string, options?: { signal?: AbortSignal }): Promise<ProvenanceRecord>;
    /** The record with this id (any version); NOT_FOUND when there is none. */
    getFromId(id: string, options?: { signal?: AbortSignal }): Promise<ProvenanceRecord>;
    /** Whether `checksum` is the one recorded for the latest version of `key`. */
    checkHash(key: string, checksum: string, options?: { signal?: AbortSignal }): Promise<HashCheck>;
    /** Every record of these exact bytes. */
    getByChecksum(checksum: string, options?: { signal?: AbortSignal }): Promise<ProvenanceRecord[]>;
    /** One page of the versions of `key`, newest first. */
    history(key: string, options?: PageOptions): Promise<Page<ProvenanceRecord>>;
    /** Every version of `key`, newest first, fetched page by page. */
    historyAll(key: string, options?: PageOptions): AsyncIterable<ProvenanceRecord>;
    /** One page of the latest records of keys in [start, end) (`end` empty: to the last key). */
    range(start: string, end: string, options?: PageOptions): Promise<Page<ProvenanceRecord>>;
    /** Every latest record of keys in [start, end), fetched page by page. */
    rangeAll(start: string, end: string, options?: PageOptions): AsyncIterable<ProvenanceRecord>;
    /** Upstream lineage: the records `id` was made from, as a DAG of full records. */
    dependencies(id: string, options?: LineageOptions): Promise<LineageGraph>;
    /** Downstream lineage: the records made from `id`. */
    dependents(id: string, options?: LineageOptions): Promise<LineageGraph>;
    /** One page of records by a creator id (`''`: the caller). */
    byCreator(creatorId: string, options?: PageOptions): Promise<Page<ProvenanceRecord>>;
    /** One page of training runs (records with `meta.run`), in run id order. */
    runs(options?: PageOptions): Promise<Page<RunSummary>>;
    /** A run's summary and one page of its records, oldest first. */
    run(id: string, options?: PageOptions): Promise<RunDetails>;
    /** The ledger underneath. */
    readonly ledger: Ledger;
}

/**
 * Checks a record input with the contract's own rules and returns it normalised (type, meta and
 * dependencies filled in). Throws INVALID_ARGUMENT with the contract's message.
 */
export function checkRecordInput(input: RecordInput): Required<RecordInput> {
    return precheck(() => validateRecordInput(input));
}

/** Wraps `ledger` in a typed {@link ProvenanceClient}. */
export function createProvenanceClient(ledger: Ledger): ProvenanceClient {
    return new LedgerProvenanceClient(ledger);
}

class LedgerProvenanceClient implements ProvenanceClient {
    constructor(readonly ledger: Ledger) {}

    async set(input: RecordInput, options: { signal?: AbortSignal } = {}): Promise<Committed<ProvenanceRecord>> {
        const normalised = precheck(() => validateRecordInput(input));
        const result = await this.ledger.submit('set', [JSON.stringify(normalised)], options);
        return { value: parse<ProvenanceRecord>(result.result, 'set'), transactionId: result.transactionId, blockNumber: result.blockNumber };
    }

    async setMany(inputs: readonly RecordInput[], options: { signal?: AbortSignal } = {}): Promise<Committed<ProvenanceRecord[]>> {
        if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > LIMITS.batch) {
            throw new TrackerError('INVALID_ARGUMENT', `setMany takes 1 to ${LIMITS.batch} records; split larger batches`);
        }
        const normalised = precheck(() => inputs.map((input, i) => validateRecordInput(input, i)));
        const keys = new Set<string>();
        for (const [i, input] of normalised.entries()) {
            if (keys.has(input.key)) {
                throw new TrackerError('INVALID_ARGUMENT', `item ${i}: key ${JSON.stringify(input.key)} appears twice in one batch; record the second version in a later batch`);
            }
            keys.add(input.key);
        }
        const result = await this.ledger.submit('setMany', [JSON.stringify(normalised)], options);
        return { value: parse<ProvenanceRecord[]>(result.result, 'setMany'), transactionId: result.transactionId, blockNumber: result.blockNumber };
    }

    async get(key: string, options: { signal?: AbortSignal } = {}): Promise<ProvenanceRecord> {
        precheck(() => assertValidKey(key));
        return parse(await this.ledger.evaluate('get', [key], options), 'get');
    }

    async getFromId(id: string, options: { signal?: AbortSignal } = {}): Promise<ProvenanceRecord> {
        precheck(() => assertValidId(id));
        return parse(await this.ledger.evaluate('getFromId', [id], options), 'getFromId');
    }

    async checkHash(key: string, checksum: string, options: { signal?: AbortSignal } = {}): Promise<HashCheck> {
        precheck(() => {
            assertValidKey(key);
            assertValidChecksum(checksum);
        });
        return parse(await this.ledger.evaluate('checkHash', [key, checksum], options), 'checkHash');
    }

    async getByChecksum(checksum: string, options: { signal?: AbortSignal } = {}): Promise<ProvenanceRecord[]> {
        precheck(() => assertValidChecksum(checksum));
        return parse(await this.ledger.evaluate('getByChecksum', [checksum], options), 'getByChecksum');
    }

    async history(key: string, options: PageOptions = {}): Promise<Page<ProvenanceRecord>> {
        precheck(() => assertValidKey(key));
        const { pageSize, bookmark } = pageArgs(options);
        return parse(await this.ledger.evaluate('getKeyHistory', [key, pageSize, bookmark], options), 'getKeyHistory');
    }

    historyAll(key: string, options: PageOptions = {}): AsyncIterable<ProvenanceRecord> {
        return allPages((bookmark) => this.history(key, { ...options, bookmark }), options.bookmark);
    }

    async range(start: string, end: string, options: PageOptions = {}): Promise<Page<ProvenanceRecord>> {
        precheck(() => {
            assertValidRangeKey(start, 'start key');
            assertValidRangeKey(end, 'end key');
        });
        const { pageSize, bookmark } = pageArgs(options);
        return parse(await this.ledger.evaluate('getByRange', [start, end, pageSize, bookmark], options), 'getByRange');
    }

    rangeAll(start: string, end: string, options: PageOptions = {}): AsyncIterable<ProvenanceRecord> {
        return allPages((bookmark) => this.range(start, end, { ...options, bookmark }), options.bookmark);
    }

    async dependencies(id: string, options: LineageOptions = {}): Promise<LineageGraph> {
        precheck(() => assertValidId(id));
        return parse(await this.ledger.evaluate('getDependencies', [id, depthArg(options.depth)], options), 'getDependencies');
    }

    async dependents(id: string, options: LineageOptions = {}): Promise<LineageGraph> {
        precheck(() => assertValidId(id));
        return parse(await this.ledger.evaluate('getDependents', [id, depthArg(options.depth)], options), 'getDependents');
    }

    async byCreator(creatorId: string, options: PageOptions = {}): Promise<Page<ProvenanceRecord>> {
        if (typeof creatorId !== 'string') throw new TrackerError('INVALID_ARGUMENT', 'creator id must be a string (empty: yourself)');
        const { pageSize, bookmark } = pageArgs(options);
        return parse(await this.ledger.evaluate('getByCreator', [creatorId, pageSize, bookmark], options), 'getByCreator');
    }

    async runs(options: PageOptions = {}): Promise<Page<RunSummary>> {
        const { pageSize, bookmark } = pageArgs(options);
        return parse(await this.ledger.evaluate('getRuns', [pageSize, bookmark], options), 'getRuns');
    }

    async run(id: string, options: PageOptions = {}): Promise<RunDetails> {
        precheck(() => assertValidRunId(id));
        const { pageSize, bookmark } = pageArgs(options);
        return parse(await this.ledger.evaluate('getRun', [id, pageSize, bookmark], options), 'getRun');
    }
}

/** Iterates pages until the bookmark comes back empty. */
async function* allPages(
    fetchPage: (bookmark: string) => Promise<Page<ProvenanceRecord>>,
    first = '',
): AsyncGenerator<ProvenanceRecord> {
    let bookmark = first;
    for (;;) {
        const page = await fetchPage(bookmark);
        yield* page.items;
        // A bookmark that does not move would loop forever; treat it as the end.
        if (!page.bookmark || page.bookmark === bookmark) return;
        bookmark = page.bookmark;
    }
}

function pageArgs(options: PageOptions): { pageSize: string; bookmark: string } {
    const pageSize = options.pageSize ?? 100;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > LIMITS.pageSize) {
        throw new TrackerError('INVALID_ARGUMENT', `page size ${pageSize} is invalid; give a whole number from 1 to ${LIMITS.pageSize}`);
    }
    const bookmark = options.bookmark ?? '';
    if (typeof bookmark !== 'string') throw new TrackerError('INVALID_ARGUMENT', 'bookmark must be the string a previous page returned');
    return { pageSize: String(pageSize), bookmark };
}

function depthArg(depth: number | undefined): string {
    if (depth === undefined) return '';
    if (!Number.isSafeInteger(depth) || depth < 0 || depth > LIMITS.depth) {
        throw new TrackerError('INVALID_ARGUMENT', `depth ${depth} is invalid; give a whole number from 0 to ${LIMITS.depth}`);
    }
    return String(depth);
}

/** Runs a contract validation helper; its ContractError becomes an INVALID_ARGUMENT TrackerError. */
function precheck<T>(check: () => T): T {
    try {
        return check();
    } catch (error) {
        const parsed = error instanceof Error ? parseContractError(error.message) : undefined;
        if (parsed) throw new TrackerError('INVALID_ARGUMENT', parsed.message, { cause: error });
        throw new TrackerError('INTERNAL', `input check failed unexpectedly: ${(error as Error).message}`, { cause: error });
    }
}

function parse<T>(text: string, fn: string): T {
    try {
        return JSON.parse(text) as T;
    } catch (error) {
        throw new TrackerError('INTERNAL', `the ledger returned a result for ${fn} that is not JSON; the contract and client versions may differ`, {
            cause: error,
        });
    }
}
