import './quiet-logging';
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { canonicalJson } from './canonical-json';
import { ContractError } from './errors';
import { PROVENANCE_QUERIES } from './queries';
import { LIMITS, RECORDED_EVENT, SCHEMA_VERSION, type Creator, type ProvenanceRecord, type RecordedEvent, type RecordInput } from './record';
import { INDEX, INDEX_VALUE } from './state-layout';
import { indexRuns } from './runs-index';
import { batchKey, recordById, recordKey, type ProvenanceContext } from './state-access';
import { PROVENANCE_CONTRACT_NAME } from './transactions';
import { BATCH_REF_PATTERN, parseJsonArgument, validateRecordInput } from './validation';

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
        return (await writeRecords(ctx, [parsed], false)) as string;
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
        return writeRecords(ctx, items, true);
    }

    /** The latest record of `key`. */
    @Transaction(false)
    @Returns('string')
    async get(ctx: Context, key: string): Promise<string> {
        return PROVENANCE_QUERIES.get(ctx, key);
    }

    /** The record with id `id` (any version, including batch items `<txId>.<n>`). */
    @Transaction(false)
    @Returns('string')
    async getFromId(ctx: Context, id: string): Promise<string> {
        return PROVENANCE_QUERIES.getFromId(ctx, id);
    }

    /** Compares `checksum` with the latest record of `key`; returns a HashCheck. */
    @Transaction(false)
    @Returns('string')
    async checkHash(ctx: Context, key: string, checksum: string): Promise<string> {
        return PROVENANCE_QUERIES.checkHash(ctx, key, checksum);
    }

    /** Every record whose bytes have `checksum` (any key, any version), oldest first. */
    @Transaction(false)
    @Returns('string')
    async getByChecksum(ctx: Context, checksum: string): Promise<string> {
        return PROVENANCE_QUERIES.getByChecksum(ctx, checksum);
    }

    /** Versions of `key`, newest first, as a Page of full records. `bookmark` is opaque. */
    @Transaction(false)
    @Returns('string')
    async getKeyHistory(ctx: Context, key: string, pageSize: string, bookmark: string): Promise<string> {
        return PROVENANCE_QUERIES.getKeyHistory(ctx, key, pageSize, bookmark);
    }

    /**
     * Latest records of keys in [startKey, endKey) in key order (UTF-8 byte order), as a Page.
     * An empty endKey means "to the last key".
     */
    @Transaction(false)
    @Returns('string')
    async getByRange(ctx: Context, startKey: string, endKey: string, pageSize: string, bookmark: string): Promise<string> {
        return PROVENANCE_QUERIES.getByRange(ctx, startKey, endKey, pageSize, bookmark);
    }

    /** Records by submitter, oldest first. An empty creatorId means the caller's own identity. */
    @Transaction(false)
    @Returns('string')
    async getByCreator(ctx: Context, creatorId: string, pageSize: string, bookmark: string): Promise<string> {
        return PROVENANCE_QUERIES.getByCreator(ctx, creatorId, pageSize, bookmark);
    }

    /**
     * Upstream lineage of record `id`: a LineageGraph of full records reached through
     * dependencies, at most `depth` edges away (empty = LIMITS.depth).
     */
    @Transaction(false)
    @Returns('string')
    async getDependencies(ctx: Context, id: string, depth: string): Promise<string> {
        return PROVENANCE_QUERIES.getDependencies(ctx, id, depth);
    }

    /**
     * Downstream lineage of record `id`: a LineageGraph of full records that depend on it,
     * directly or transitively, at most `depth` edges away (empty = LIMITS.depth).
     */
    @Transaction(false)
    @Returns('string')
    async getDependents(ctx: Context, id: string, depth: string): Promise<string> {
        return PROVENANCE_QUERIES.getDependents(ctx, id, depth);
    }

    /** Training runs (records with `meta.run`), as a Page of RunSummary in run id order. */
    @Transaction(false)
    @Returns('string')
    async getRuns(ctx: Context, pageSize: string, bookmark: string): Promise<string> {
        return PROVENANCE_QUERIES.getRuns(ctx, pageSize, bookmark);
    }

    /** One run: its RunSummary and a Page of its records, oldest first. */
    @Transaction(false)
    @Returns('string')
    async getRun(ctx: Context, run: string, pageSize: string, bookmark: string): Promise<string> {
        return PROVENANCE_QUERIES.getRun(ctx, run, pageSize, bookmark);
    }
}

/**
 * Validates, resolves and writes a batch; nothing is written unless every item is valid. Returns
 * the canonical JSON of the record (set) or of the list of records (setMany).
 */
async function writeRecords(ctx: ProvenanceContext, inputs: Required<RecordInput>[], batch: boolean): Promise<string> {
    const stub = ctx.stub;
    const txId = stub.getTxID();
    const timestamp = stub.getDateTimestamp().toISOString();
    const creator: Creator = { mspId: ctx.clientIdentity.getMSPID(), id: ctx.clientIdentity.getID() };
    const ids = inputs.map((_, n) => (batch ? `${txId}.${n}` : txId));

    // A reused transaction id would overwrite records; Fabric never reuses one, a broken
    // embedded ledger might. One read of the entry this transaction writes is enough to tell.
    if ((await stub.getState(batch ? batchKey(ctx, txId) : recordKey(ctx, txId))).length > 0) {
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
                        found = recordById(ctx, dep).then((record) => record !== undefined);
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

    // Each record serialised once: a list's canonical JSON is its items' joined by commas, and the
    // batch entry, the latest-record entries and the result are the same text.
    const jsons = records.map((record) => canonicalJson(record));
    const list = `[${jsons.join(',')}]`;
    // A batch's records are one entry (see INDEX.batch); a lone record keeps its own.
    if (batch) {
        await stub.putState(batchKey(ctx, txId), Buffer.from(list, 'utf8'));
        await stub.putState(stub.createCompositeKey(INDEX.creator, [creator.id, timestamp, txId]), Buffer.from(canonicalJson({ batch: records.length }), 'utf8'));
    }
    for (const [n, record] of records.entries()) {
        const json = Buffer.from(jsons[n] as string, 'utf8');
        const marker = Buffer.from(INDEX_VALUE, 'utf8');
        await stub.putState(record.key, json);
        if (!batch) await stub.putState(recordKey(ctx, record.id), json);
        for (const dep of record.dependencies) {
            await stub.putState(stub.createCompositeKey(INDEX.dependent, [dep, record.id]), marker);
        }
        if (!batch) await stub.putState(stub.createCompositeKey(INDEX.creator, [creator.id, timestamp, record.id]), marker);
        await stub.putState(
            stub.createCompositeKey(INDEX.checksum, [record.checksum.slice('sha256:'.length), record.id]),
            marker,
        );
    }
    await indexRuns(ctx, records);
    const event: RecordedEvent = { ids: records.map((r) => r.id), keys: records.map((r) => r.key) };
    stub.setEvent(RECORDED_EVENT, Buffer.from(canonicalJson(event), 'utf8'));
    return batch ? list : (jsons[0] as string);
}

