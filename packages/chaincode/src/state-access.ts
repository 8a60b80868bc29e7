/**
 * How the contract reads and writes its records in world state: the record key of an id, loading
 * and decoding records, composite-key index scans. Shared by the contract's writes and queries.
 */
import type { ChaincodeStub, ClientIdentity, Iterators } from 'fabric-shim-api';
import { ContractError } from './errors';
import type { ProvenanceRecord } from './record';
import { INDEX } from './state-layout';
import { validKey } from './validation';

/**
 * What the contract's functions use of a transaction context: fabric-contract-api's Context on a
 * peer, the embedded ledger's own context in-process.
 */
export interface ProvenanceContext {
    stub: ChaincodeStub;
    clientIdentity: Pick<ClientIdentity, 'getID' | 'getMSPID'>;
}

export function recordKey(ctx: ProvenanceContext, id: string): string {
    return ctx.stub.createCompositeKey(INDEX.record, [id]);
}

export function batchKey(ctx: ProvenanceContext, txId: string): string {
    return ctx.stub.createCompositeKey(INDEX.batch, [txId]);
}

/** `<txId>.<n>`: the n-th record of a setMany transaction. A `set` record's id is the bare tx id. */
const BATCH_ITEM = /^(.+)\.(0|[1-9]\d*)$/;

/** Batches read by one transaction or query (keyed by its stub, which is new for each): each is read once. */
const batchReads = new WeakMap<object, Map<string, Promise<ProvenanceRecord[] | undefined>>>();

function readBatch(ctx: ProvenanceContext, txId: string): Promise<ProvenanceRecord[] | undefined> {
    let reads = batchReads.get(ctx.stub);
    if (reads === undefined) {
        reads = new Map();
        batchReads.set(ctx.stub, reads);
    }
    let read = reads.get(txId);
    if (read === undefined) {
        read = ctx.stub.getState(batchKey(ctx, txId)).then((value) => {
            if (value.length === 0) return undefined;
            const records = decodeJson(value, `batch ${txId}`);
            return Array.isArray(records) ? (records as ProvenanceRecord[]) : inconsistent(`batch ${txId}`, 'stored as something other than a list of records');
        });
        reads.set(txId, read);
    }
    return read;
}

export async function latest(ctx: ProvenanceContext, keyArg: string): Promise<ProvenanceRecord> {
    const key = validKey(keyArg);
    const value = await ctx.stub.getState(key);
    if (value.length === 0) {
        throw new ContractError('NOT_FOUND', `no record for key '${key}'; check the key (a range query over keys lists the recorded ones)`);
    }
    return decodeRecord(value, `key ${key}`);
}

export async function recordById(ctx: ProvenanceContext, id: string): Promise<ProvenanceRecord | undefined> {
    const item = BATCH_ITEM.exec(id);
    if (item !== null) {
        const batch = await readBatch(ctx, item[1] as string);
        if (batch !== undefined) {
            const record = batch[Number(item[2])];
            return record?.id === id ? record : undefined;
        }
        // No batch entry: a batch recorded before the batch layout, one entry per record.
    }
    const value = await ctx.stub.getState(recordKey(ctx, id));
    return value.length === 0 ? undefined : decodeRecord(value, `record ${id}`);
}

/** Loads a record by id (recordById, or the query side's cache of committed records). */
export type RecordLoader = (ctx: ProvenanceContext, id: string) => Promise<ProvenanceRecord | undefined>;

export async function rootRecord(ctx: ProvenanceContext, id: string, load: RecordLoader = recordById): Promise<ProvenanceRecord> {
    const record = await load(ctx, id);
    if (record === undefined) {
        throw new ContractError('NOT_FOUND', `no record with id '${id}'; check the id (get <key> shows the latest id of a key)`);
    }
    return record;
}

export async function mustLoad(ctx: ProvenanceContext, id: string, where: string, load: RecordLoader = recordById): Promise<ProvenanceRecord> {
    return (await load(ctx, id)) ?? inconsistent(id, `listed in the ${where}`);
}

export async function dependentIds(ctx: ProvenanceContext, id: string, limit = Infinity): Promise<string[]> {
    const ids: string[] = [];
    for await (const kv of drain(await ctx.stub.getStateByPartialCompositeKey(INDEX.dependent, [id]))) {
        ids.push(lastAttribute(ctx, kv.key));
        if (ids.length >= limit) break;
    }
    return ids;
}

export function lastAttribute(ctx: ProvenanceContext, compositeKey: string): string {
    const { attributes } = ctx.stub.splitCompositeKey(compositeKey);
    return attributes[attributes.length - 1] as string;
}

export function decodeRecord(value: Uint8Array, where: string): ProvenanceRecord {
    return decodeJson(value, where) as ProvenanceRecord;
}

function decodeJson(value: Uint8Array, where: string): unknown {
    try {
        return JSON.parse(Buffer.from(value).toString('utf8')) as unknown;
    } catch {
        // State is written only by this contract; unreadable JSON means corruption.
        return inconsistent(where, 'stored as unreadable JSON');
    }
}

export function inconsistent(id: string, where: string): never {
    throw new ContractError(
        'NOT_FOUND',
        `record '${id}' (${where}) is missing or unreadable in world state; the ledger state is inconsistent — run verify --ledger`,
    );
}

export function compareText(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** Iterates a Fabric state/history iterator and always closes it, even on early exit. */
export async function* drain<T>(iterator: Iterators.CommonIterator<T>): AsyncGenerator<T> {
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
