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

export async function latest(ctx: ProvenanceContext, keyArg: string): Promise<ProvenanceRecord> {
    const key = validKey(keyArg);
    const value = await ctx.stub.getState(key);
    if (value.length === 0) {
        throw new ContractError('NOT_FOUND', `no record for key '${key}'; check the key (a range query over keys lists the recorded ones)`);
    }
    return decodeRecord(value, `key ${key}`);
}

export async function recordById(ctx: ProvenanceContext, id: string): Promise<ProvenanceRecord | undefined> {
    const value = await ctx.stub.getState(recordKey(ctx, id));
    return value.length === 0 ? undefined : decodeRecord(value, `record ${id}`);
}

export async function rootRecord(ctx: ProvenanceContext, id: string): Promise<ProvenanceRecord> {
    const record = await recordById(ctx, id);
    if (record === undefined) {
        throw new ContractError('NOT_FOUND', `no record with id '${id}'; check the id (get <key> shows the latest id of a key)`);
    }
    return record;
}

export async function mustLoad(ctx: ProvenanceContext, id: string, where: string): Promise<ProvenanceRecord> {
    return (await recordById(ctx, id)) ?? inconsistent(id, `listed in the ${where}`);
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
    try {
        return JSON.parse(Buffer.from(value).toString('utf8')) as ProvenanceRecord;
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
