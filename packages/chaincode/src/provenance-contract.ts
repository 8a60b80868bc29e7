import './quiet-logging';
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import type { Iterators } from 'fabric-shim-api';
import { canonicalJson } from './canonical-json';
import { ContractError } from './errors';
import { walkLineage, type LineageWalker } from './lineage';
import {
    LIMITS,
    RECORDED_EVENT,
    SCHEMA_VERSION,
    type Creator,
    type HashCheck,
    type Page,
    type ProvenanceRecord,
    type RecordedEvent,
    type RecordInput,
} from './record';
import { INDEX, INDEX_VALUE } from './state-layout';
import { PROVENANCE_CONTRACT_NAME } from './transactions';
import {
    BATCH_REF_PATTERN,
    assertValidChecksum,
    assertValidId,
    assertValidKey,
    assertValidRangeKey,
    parseDepth,
    parseJsonArgument,
    parsePageSize,
    validateRecordInput,
} from './validation';

const RECORD_INPUT_HINT = 'a RecordInput JSON object {key, checksum, size, location, pointer, type?, meta?, dependencies?}';

/**
 * The HyperProv provenance contract. Every argument is a string and every result a string of
 * canonical JSON, so fabric-contract-api's serializer (class-transformer) never rewrites data
 * and every endorser returns byte-identical results.
 */
@Info({ title: 'HyperProv provenance', description: 'Provenance records and lineage for ML models and data' })
export class ProvenanceContract extends Contract {
    constructor() {
        super(PROVENANCE_CONTRACT_NAME);
    }

    /** Records one item. `input` is RecordInput JSON; returns the stored ProvenanceRecord. */
    @Transaction()
    @Returns('string')
    async set(ctx: Context, input: string): Promise<string> {
        const parsed = validateRecordInput(parseJsonArgument(input, 'input', RECORD_INPUT_HINT));
        const [record] = await writeRecords(ctx, [parsed], false);
        return canonicalJson(record);
    }

    /**
     * Records 1..LIMITS.batch items in one all-or-nothing transaction. `inputs` is a JSON array
     * of RecordInput; a dependency `$<n>` names the n-th item of the same batch. Returns the
     * stored records, ids `<txId>.<n>`.
     */
    @Transaction()
    @Returns('string')
    async setMany(ctx: Context, inputs: string): Promise<string> {
        const parsed = parseJsonArgument(inputs, 'inputs', `a JSON array of 1 to ${LIMITS.batch} RecordInput objects`);
        if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > LIMITS.batch) {
            const got = Array.isArray(parsed) ? `${parsed.length} items` : 'no array';
            throw new ContractError(
                'INVALID_ARGUMENT',
                `inputs must be a JSON array of 1 to ${LIMITS.batch} RecordInput objects, got ${got}; split larger batches`,
            );
        }
        const items = parsed.map((item, index) => validateRecordInput(item, index));
        return canonicalJson(await writeRecords(ctx, items, true));
    }

    /** The latest record of `key`. */
    @Transaction(false)
    @Returns('string')
    async get(ctx: Context, key: string): Promise<string> {
        return canonicalJson(await latest(ctx, key));
    }

    /** The record with id `id` (any version, including batch items `<txId>.<n>`). */
    @Transaction(false)
    @Returns('string')
    async getFromId(ctx: Context, id: string): Promise<string> {
        assertValidId(id);
        const record = await recordById(ctx, id);
        if (record === undefined) {
            throw new ContractError('NOT_FOUND', `no record with id '${id}'; check the id (get <key> shows the latest id of a key)`);
        }
        return canonicalJson(record);
    }

    /** Compares `checksum` with the latest record of `key`; returns a HashCheck. */
    @Transaction(false)
    @Returns('string')
    async checkHash(ctx: Context, key: string, checksum: string): Promise<string> {
        assertValidChecksum(checksum);
        const record = await latest(ctx, key);
        const check: HashCheck = { key, match: record.checksum === checksum, recorded: record.checksum, id: record.id };
        return canonicalJson(check);
    }

    /** Every record whose bytes have `checksum` (any key, any version), oldest first. */
    @Transaction(false)
    @Returns('string')
    async getByChecksum(ctx: Context, checksum: string): Promise<string> {
        assertValidChecksum(checksum);
        const hex = checksum.slice('sha256:'.length);
        const ids: string[] = [];
        for await (const kv of drain(await ctx.stub.getStateByPartialCompositeKey(INDEX.checksum, [hex]))) {
            ids.push(lastAttribute(ctx, kv.key));
        }
        const records = await Promise.all(ids.map((id) => mustLoad(ctx, id, `checksum index of ${checksum}`)));
        records.sort((a, b) => compareText(a.timestamp, b.timestamp) || compareText(a.id, b.id));
        return canonicalJson(records);
    }

    /** Versions of `key`, newest first, as a Page of full records. `bookmark` is opaque. */
    @Transaction(false)
    @Returns('string')
    async getKeyHistory(ctx: Context, key: string, pageSize: string, bookmark: string): Promise<string> {
        assertValidKey(key);
        const size = parsePageSize(pageSize);
        const page: Page<ProvenanceRecord> = { items: [], bookmark: '' };
        // Fabric history is not paginated, so the bookmark is the tx id of the next version to
        // return; tx ids are unique per key because a transaction writes a key at most once.
        let started = bookmark === '';
        for await (const mod of drain(await ctx.stub.getHistoryForKey(key))) {
            if (mod.isDelete) continue;
            if (!started) {
                if (mod.txId !== bookmark) continue;
                started = true;
            }
            if (page.items.length === size) {
                page.bookmark = mod.txId;
                break;
            }
            page.items.push(decodeRecord(mod.value, `history of ${key}`));
        }
        if (!started) {
            throw new ContractError(
                'INVALID_ARGUMENT',
                `bookmark '${bookmark}' does not belong to the history of '${key}'; pass the bookmark of the previous page, or '' to start again`,
            );
        }
        if (page.items.length === 0 && bookmark === '') {
            throw new ContractError('NOT_FOUND', `no record for key '${key}'; check the key or list keys with getByRange`);
        }
        return canonicalJson(page);
    }

    /**
     * Latest records of keys in [startKey, endKey) in key order (UTF-8 byte order), as a Page.
     * An empty endKey means "to the last key".
     */
    @Transaction(false)
    @Returns('string')
    async getByRange(ctx: Context, startKey: string, endKey: string, pageSize: string, bookmark: string): Promise<string> {
        assertValidRangeKey(startKey, 'startKey');
        assertValidRangeKey(endKey, 'endKey');
        assertValidRangeKey(bookmark, 'bookmark');
        const size = parsePageSize(pageSize);
        const { iterator, metadata } = await ctx.stub.getStateByRangeWithPagination(startKey, endKey, size, bookmark);
        const items: ProvenanceRecord[] = [];
        for await (const kv of drain(iterator)) items.push(decodeRecord(kv.value, `key ${kv.key}`));
        // Fabric returns the next key as bookmark, or '' when the range is exhausted.
        const page: Page<ProvenanceRecord> = { items, bookmark: items.length < size ? '' : metadata.bookmark };
        return canonicalJson(page);
    }

    /** Records by submitter, oldest first. An empty creatorId means the caller's own identity. */
    @Transaction(false)
    @Returns('string')
    async getByCreator(ctx: Context, creatorId: string, pageSize: string, bookmark: string): Promise<string> {
        const who = creatorId === '' ? ctx.clientIdentity.getID() : creatorId;
        assertValidRangeKey(who, 'creatorId');
        if (who === '') throw new ContractError('INVALID_ARGUMENT', 'creatorId is empty and the caller has no identity');
        const size = parsePageSize(pageSize);
        const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(
            INDEX.creator,
            [who],
            size,
            bookmark,
        );
        const ids: string[] = [];
        for await (const kv of drain(iterator)) ids.push(lastAttribute(ctx, kv.key));
        const items = await Promise.all(ids.map((id) => mustLoad(ctx, id, `creator index of ${who}`)));
        const page: Page<ProvenanceRecord> = { items, bookmark: items.length < size ? '' : metadata.bookmark };
        return canonicalJson(page);
    }

    /**
     * Upstream lineage of record `id`: a LineageGraph of full records reached through
     * dependencies, at most `depth` edges away (empty = LIMITS.depth).
     */
    @Transaction(false)
    @Returns('string')
    async getDependencies(ctx: Context, id: string, depth: string): Promise<string> {
        assertValidId(id);
        const limit = parseDepth(depth);
        const root = await rootRecord(ctx, id);
        const walker: LineageWalker = {
            fetch: (dep) => recordById(ctx, dep),
            neighbours: async (record) => record.dependencies,
            hasNeighbours: async (record) => record.dependencies.length > 0,
            missing: (dep, from) => inconsistent(dep, `a dependency of ${from}`),
        };
        return canonicalJson(await walkLineage(root, limit, walker));
    }

    /**
     * Downstream lineage of record `id`: a LineageGraph of full records that depend on it,
     * directly or transitively, at most `depth` edges away (empty = LIMITS.depth).
     */
    @Transaction(false)
    @Returns('string')
    async getDependents(ctx: Context, id: string, depth: string): Promise<string> {
        assertValidId(id);
        const limit = parseDepth(depth);
        const root = await rootRecord(ctx, id);
        const walker: LineageWalker = {
            fetch: (child) => recordById(ctx, child),
            neighbours: (record) => dependentIds(ctx, record.id),
            hasNeighbours: async (record) => (await dependentIds(ctx, record.id, 1)).length > 0,
            missing: (child, from) => inconsistent(child, `a dependent of ${from}`),
        };
        return canonicalJson(await walkLineage(root, limit, walker));
    }
}

/** Validates, resolves and writes a batch; nothing is written unless every item is valid. */
async function writeRecords(ctx: Context, inputs: Required<RecordInput>[], batch: boolean): Promise<ProvenanceRecord[]> {
    const stub = ctx.stub;
    const txId = stub.getTxID();
    const timestamp = stub.getDateTimestamp().toISOString();
    const creator: Creator = { mspId: ctx.clientIdentity.getMSPID(), id: ctx.clientIdentity.getID() };
    const ids = inputs.map((_, n) => (batch ? `${txId}.${n}` : txId));

    // A reused transaction id would overwrite records; Fabric never reuses one, a broken
    // embedded ledger might. One read of the first id is enough to tell.
    if ((await stub.getState(recordKey(ctx, ids[0] as string))).length > 0) {
        throw new ContractError('CONFLICT', `record id '${ids[0]}' already exists; submit the transaction again with a new transaction id`);
    }

    const keys = new Map<string, number>();
    inputs.forEach((input, n) => {
        const first = keys.get(input.key);
        if (first !== undefined) {
            throw new ContractError(
                'INVALID_ARGUMENT',
                `items ${first} and ${n} both record key '${input.key}'; a transaction can record each key once — use separate transactions for versions`,
            );
        }
        keys.set(input.key, n);
    });

    // Fabric has no read-your-writes, so batch-internal references are resolved from memory and
    // only references to committed records are looked up (each once).
    const exists = new Map<string, Promise<boolean>>();
    const records = await Promise.all(
        inputs.map(async (input, n): Promise<ProvenanceRecord> => {
            const dependencies = input.dependencies.map((dep) => {
                const ref = BATCH_REF_PATTERN.exec(dep);
                return ref ? (ids[Number(ref[1])] as string) : dep;
            });
            await Promise.all(
                input.dependencies.map(async (dep) => {
                    if (BATCH_REF_PATTERN.test(dep)) return;
                    let found = exists.get(dep);
                    if (found === undefined) {
                        found = stub.getState(recordKey(ctx, dep)).then((value) => value.length > 0);
                        exists.set(dep, found);
                    }
                    if (!(await found)) {
                        const where = batch ? `item ${n} ('${input.key}')` : `'${input.key}'`;
                        throw new ContractError(
                            'DEPENDENCY_NOT_FOUND',
                            `dependency '${dep}' of ${where} is not on the ledger; record it first or check the id`,
                        );
                    }
                }),
            );
            return {
                schema: SCHEMA_VERSION,
                id: ids[n] as string,
                key: input.key,
                checksum: input.checksum,
                size: input.size,
                location: input.location,
                pointer: input.pointer,
                creator,
                timestamp,
                type: input.type,
                meta: input.meta,
                dependencies,
            };
        }),
    );

    for (const record of records) {
        const json = Buffer.from(canonicalJson(record), 'utf8');
        const marker = Buffer.from(INDEX_VALUE, 'utf8');
        await stub.putState(record.key, json);
        await stub.putState(recordKey(ctx, record.id), json);
        for (const dep of record.dependencies) {
            await stub.putState(stub.createCompositeKey(INDEX.dependent, [dep, record.id]), marker);
        }
        await stub.putState(stub.createCompositeKey(INDEX.creator, [creator.id, timestamp, record.id]), marker);
        await stub.putState(
            stub.createCompositeKey(INDEX.checksum, [record.checksum.slice('sha256:'.length), record.id]),
            marker,
        );
    }
    const event: RecordedEvent = { ids: records.map((r) => r.id), keys: records.map((r) => r.key) };
    stub.setEvent(RECORDED_EVENT, Buffer.from(canonicalJson(event), 'utf8'));
    return records;
}

function recordKey(ctx: Context, id: string): string {
    return ctx.stub.createCompositeKey(INDEX.record, [id]);
}

async function latest(ctx: Context, key: string): Promise<ProvenanceRecord> {
    assertValidKey(key);
    const value = await ctx.stub.getState(key);
    if (value.length === 0) {
        throw new ContractError('NOT_FOUND', `no record for key '${key}'; check the key or list keys with getByRange`);
    }
    return decodeRecord(value, `key ${key}`);
}

async function recordById(ctx: Context, id: string): Promise<ProvenanceRecord | undefined> {
    const value = await ctx.stub.getState(recordKey(ctx, id));
    return value.length === 0 ? undefined : decodeRecord(value, `record ${id}`);
}

async function rootRecord(ctx: Context, id: string): Promise<ProvenanceRecord> {
    const record = await recordById(ctx, id);
    if (record === undefined) {
        throw new ContractError('NOT_FOUND', `no record with id '${id}'; check the id (get <key> shows the latest id of a key)`);
    }
    return record;
}

async function mustLoad(ctx: Context, id: string, where: string): Promise<ProvenanceRecord> {
    return (await recordById(ctx, id)) ?? inconsistent(id, `listed in the ${where}`);
}

async function dependentIds(ctx: Context, id: string, limit = Infinity): Promise<string[]> {
    const ids: string[] = [];
    for await (const kv of drain(await ctx.stub.getStateByPartialCompositeKey(INDEX.dependent, [id]))) {
        ids.push(lastAttribute(ctx, kv.key));
        if (ids.length >= limit) break;
    }
    return ids;
}

function lastAttribute(ctx: Context, compositeKey: string): string {
    const { attributes } = ctx.stub.splitCompositeKey(compositeKey);
    return attributes[attributes.length - 1] as string;
}

function decodeRecord(value: Uint8Array, where: string): ProvenanceRecord {
    try {
        return JSON.parse(Buffer.from(value).toString('utf8')) as ProvenanceRecord;
    } catch {
        // State is written only by this contract; unreadable JSON means corruption.
        return inconsistent(where, 'stored as unreadable JSON');
    }
}

function inconsistent(id: string, where: string): never {
    throw new ContractError(
        'NOT_FOUND',
        `record '${id}' (${where}) is missing or unreadable in world state; the ledger state is inconsistent — run verify --ledger`,
    );
}

function compareText(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** Iterates a Fabric state/history iterator and always closes it, even on early exit. */
async function* drain<T>(iterator: Iterators.CommonIterator<T>): AsyncGenerator<T> {
    try {
        for (;;) {
            const result = await iterator.next();
            // fabric-shim ends with {done: true} and no value; other implementations may attach the
            // last value to done=true, so take any value before checking done.
            if (result.value !== undefined && result.value !== null) yield result.value;
            if (result.done) return;
        }
    } finally {
        await iterator.close();
    }
}
