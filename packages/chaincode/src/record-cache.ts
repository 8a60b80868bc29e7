/**
 * Committed records kept in memory by a chaincode server, for the contract's queries.
 *
 * A record id is its transaction's id (plus `.n` inside a batch) and the contract writes it once,
 * so a record read from committed state never changes. A lineage walk of 1000 records is 1000
 * sequential round trips from the chaincode to its peer (Fabric 2.5 has no multi-key read); with
 * the records kept, a repeated or overlapping walk (the lineage of epoch N+1 is that of epoch N
 * plus one record) costs one read per new record.
 *
 * Only reads from committed state fill it: a simulation's own writes may never commit (and a
 * client resolving an unknown outcome asks for its transaction's record by id). Only the lineage
 * walks use it: endorsed transactions keep their read sets, and getFromId, getByCreator and
 * getByRange, which verify uses to check the peer's state database against the blocks, still
 * read that database. It is off unless configured (the embedded ledger reads its state
 * in-process and does not need it).
 */
import type { ProvenanceRecord } from './record';
import { recordById, type ProvenanceContext } from './state-access';

interface Entry {
    record: ProvenanceRecord;
    bytes: number;
}

let maxBytes = 0;
let usedBytes = 0;
// A Map iterates in insertion order: re-inserting on a hit makes its first key the least recently used.
const entries = new Map<string, Entry>();

/** Sets the cache's size (0 turns it off and empties it). */
export function configureRecordCache(options: { maxBytes: number }): void {
    maxBytes = Math.max(0, Math.floor(options.maxBytes));
    evict();
}

/** The cache's size from the environment of a chaincode server (`HYPERPROV_RECORD_CACHE_MB`, default 64; 0 = off). */
export function recordCacheBytesFromEnv(env: NodeJS.ProcessEnv): number {
    const mb = Number(env.HYPERPROV_RECORD_CACHE_MB ?? '64');
    return Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : 0;
}

export function recordCacheStats(): { entries: number; bytes: number; maxBytes: number } {
    return { entries: entries.size, bytes: usedBytes, maxBytes };
}

/**
 * The committed record with `id`, from memory when it was read before. The object is shared
 * between queries: callers only serialise it, never change it.
 */
export async function committedRecord(ctx: ProvenanceContext, id: string): Promise<ProvenanceRecord | undefined> {
    const hit = cachedRecord(ctx, id);
    if (hit !== undefined || maxBytes === 0) return hit ?? recordById(ctx, id);
    const record = await recordById(ctx, id);
    if (record !== undefined) rememberRecord(ctx, record);
    return record;
}

/** The record with `id` if the cache holds it; never reads state. */
export function cachedRecord(ctx: ProvenanceContext, id: string): ProvenanceRecord | undefined {
    if (maxBytes === 0) return undefined;
    const slot = slotOf(ctx, id);
    const hit = entries.get(slot);
    if (hit === undefined) return undefined;
    entries.delete(slot);
    entries.set(slot, hit);
    return hit.record;
}

/** Keeps a record read from committed state by other means (a key's history). */
export function rememberRecord(ctx: ProvenanceContext, record: ProvenanceRecord): void {
    if (maxBytes === 0) return;
    const slot = slotOf(ctx, record.id);
    // A rough size: the record's JSON, twice for the decoded object's overhead.
    const bytes = 2 * (JSON.stringify(record).length + slot.length);
    if (bytes > maxBytes || entries.has(slot)) return;
    entries.set(slot, { record, bytes });
    usedBytes += bytes;
    evict();
}

// Channels are separate ledgers: the same id could name different records on two of them.
function slotOf(ctx: ProvenanceContext, id: string): string {
    return `${ctx.stub.getChannelID()}\u0000${id}`;
}

function evict(): void {
    for (const [slot, entry] of entries) {
        if (usedBytes <= maxBytes) return;
        entries.delete(slot);
        usedBytes -= entry.bytes;
    }
}
