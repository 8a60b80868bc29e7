/**
 * The read half of the provenance contract: every evaluate transaction, as plain functions over
 * the transaction context. The contract class delegates to them, so Fabric peers run exactly this
 * code; the embedded ledger calls them directly for reads, without loading fabric-contract-api
 * (about a hundred files and most of a CLI's start-up time). No Fabric import at run time.
 */
import { canonicalJson } from './canonical-json';
import { ContractError } from './errors';
import { ChainReader } from './chain-reader';
import { walkLineage, type LineageWalker } from './lineage';
import { cachedRecord, committedRecord, rememberRecord } from './record-cache';
import type { HashCheck, Page, ProvenanceRecord } from './record';
import { getRun, getRuns } from './runs-index';
import { INDEX, INDEX_VALUE } from './state-layout';
import { compareText, decodeRecord, dependentIds, drain, inconsistent, lastAttribute, latest, mustLoad, recordById, rootRecord, type ProvenanceContext } from './state-access';
import { assertValidChecksum, assertValidId, assertValidRangeKey, normalizeKey, parseDepth, parsePageSize, validKey } from './validation';

/** Evaluate transactions by name; each takes the context and the transaction's string arguments. */
export const PROVENANCE_QUERIES = {
    async get(ctx: ProvenanceContext, key: string): Promise<string> {
        return canonicalJson(await latest(ctx, key));
    },
    async getFromId(ctx: ProvenanceContext, id: string): Promise<string> {
        assertValidId(id);
        const record = await recordById(ctx, id);
        if (record === undefined) {
            throw new ContractError('NOT_FOUND', `no record with id '${id}'; check the id (get <key> shows the latest id of a key)`);
        }
        return canonicalJson(record);
    },
    async checkHash(ctx: ProvenanceContext, key: string, checksum: string): Promise<string> {
        assertValidChecksum(checksum);
        const record = await latest(ctx, key);
        const check: HashCheck = { key: record.key, match: record.checksum === checksum, recorded: record.checksum, id: record.id };
        return canonicalJson(check);
    },
    async getByChecksum(ctx: ProvenanceContext, checksum: string): Promise<string> {
        assertValidChecksum(checksum);
        const hex = checksum.slice('sha256:'.length);
        const ids: string[] = [];
        for await (const kv of drain(await ctx.stub.getStateByPartialCompositeKey(INDEX.checksum, [hex]))) {
            ids.push(lastAttribute(ctx, kv.key));
        }
        const records = await Promise.all(ids.map((id) => mustLoad(ctx, id, `checksum index of ${checksum}`)));
        records.sort((a, b) => compareText(a.timestamp, b.timestamp) || compareText(a.id, b.id));
        return canonicalJson(records);
    },
    async getKeyHistory(ctx: ProvenanceContext, keyArg: string, pageSize: string, bookmark: string): Promise<string> {
        const key = validKey(keyArg);
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
            throw new ContractError('NOT_FOUND', `no record for key '${key}'; check the key (a range query over keys lists the recorded ones)`);
        }
        return canonicalJson(page);
    },
    async getByRange(ctx: ProvenanceContext, startKey: string, endKey: string, pageSize: string, bookmark: string): Promise<string> {
        assertValidRangeKey(startKey, 'startKey');
        assertValidRangeKey(endKey, 'endKey');
        assertValidRangeKey(bookmark, 'bookmark');
        const size = parsePageSize(pageSize);
        // Bounds are compared with stored keys, which are NFC.
        const { iterator, metadata } = await ctx.stub.getStateByRangeWithPagination(normalizeKey(startKey), normalizeKey(endKey), size, bookmark);
        const items: ProvenanceRecord[] = [];
        for await (const kv of drain(iterator)) items.push(decodeRecord(kv.value, `key ${kv.key}`));
        // Fabric returns the next key as bookmark, or '' when the range is exhausted.
        const page: Page<ProvenanceRecord> = { items, bookmark: items.length < size ? '' : metadata.bookmark };
        return canonicalJson(page);
    },
    async getByCreator(ctx: ProvenanceContext, creatorId: string, pageSize: string, bookmark: string): Promise<string> {
        const who = creatorId === '' ? ctx.clientIdentity.getID() : creatorId;
        assertValidRangeKey(who, 'creatorId');
        if (who === '') throw new ContractError('INVALID_ARGUMENT', 'creatorId is empty and the caller has no identity');
        const size = parsePageSize(pageSize);
        // A batch's entry stands for all its records, so a page may end inside one: the bookmark
        // is then that entry's key and how many of its records were already returned.
        const [start, skip] = splitCreatorBookmark(bookmark);
        // `size` entries hold at least `size` records, unless the index ends first.
        const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(INDEX.creator, [who], size, start);
        const ids: string[] = [];
        let next: string | undefined;
        let full = false;
        let entries = 0;
        for await (const kv of drain(iterator)) {
            entries++;
            if (full) {
                next = kv.key;
                break;
            }
            const expanded = creatorEntryIds(ctx, kv.key, kv.value);
            const from = entries === 1 ? skip : 0;
            const room = size - ids.length;
            ids.push(...expanded.slice(from, from + room));
            if (from + room < expanded.length) {
                next = `${kv.key}${BOOKMARK_OFFSET}${from + room}`;
                break;
            }
            full = ids.length === size;
        }
        // Filled at the end of the last entry fetched: the next page starts at Fabric's next entry, if any.
        next ??= full && entries === size ? metadata.bookmark : '';
        const items = await Promise.all(ids.map((id) => mustLoad(ctx, id, `creator index of ${who}`)));
        const page: Page<ProvenanceRecord> = { items, bookmark: next };
        return canonicalJson(page);
    },
    async getDependencies(ctx: ProvenanceContext, id: string, depth: string): Promise<string> {
        assertValidId(id);
        const limit = parseDepth(depth);
        const root = await rootRecord(ctx, id, committedRecord);
        const chain = new ChainReader(ctx);
        const walker: LineageWalker = {
            fetch: async (dep, from) => {
                const cached = cachedRecord(ctx, dep);
                if (cached !== undefined) {
                    chain.learn(cached, from);
                    return cached;
                }
                const fromHistory = await chain.find(dep, from);
                if (fromHistory !== undefined) {
                    rememberRecord(ctx, fromHistory);
                    return fromHistory;
                }
                const record = await committedRecord(ctx, dep);
                if (record !== undefined) chain.learn(record, from);
                return record;
            },
            neighbours: async (record) => record.dependencies,
            hasNeighbours: async (record) => record.dependencies.length > 0,
            missing: (dep, from) => inconsistent(dep, `a dependency of ${from}`),
        };
        try {
            return canonicalJson(await walkLineage(root, limit, walker));
        } finally {
            await chain.close();
        }
    },
    async getDependents(ctx: ProvenanceContext, id: string, depth: string): Promise<string> {
        assertValidId(id);
        const limit = parseDepth(depth);
        const root = await rootRecord(ctx, id, committedRecord);
        const walker: LineageWalker = {
            fetch: (child) => committedRecord(ctx, child),
            neighbours: (record) => dependentIds(ctx, record.id),
            hasNeighbours: async (record) => (await dependentIds(ctx, record.id, 1)).length > 0,
            missing: (child, from) => inconsistent(child, `a dependent of ${from}`),
        };
        return canonicalJson(await walkLineage(root, limit, walker));
    },
    getRuns,
    getRun,
} as const;

/** Separates an entry key from a count of its records in a getByCreator bookmark (never in a composite key). */
const BOOKMARK_OFFSET = '\u0001';

function splitCreatorBookmark(bookmark: string): [string, number] {
    const at = bookmark.lastIndexOf(BOOKMARK_OFFSET);
    if (at < 0) return [bookmark, 0];
    const skip = Number(bookmark.slice(at + 1));
    if (!Number.isSafeInteger(skip) || skip < 0) {
        throw new ContractError('INVALID_ARGUMENT', `bookmark '${bookmark}' is not one this creator's list of records returned; pass the bookmark of the previous page, or '' to start again`);
    }
    return [bookmark.slice(0, at), skip];
}

/** The record ids a creator index entry stands for: its own id, or every record of a batch. */
function creatorEntryIds(ctx: ProvenanceContext, key: string, value: Uint8Array): string[] {
    const id = lastAttribute(ctx, key);
    const text = Buffer.from(value).toString('utf8');
    if (text === INDEX_VALUE) return [id];
    let count: unknown;
    try {
        count = (JSON.parse(text) as { batch?: unknown } | null)?.batch;
    } catch {
        count = undefined;
    }
    if (!Number.isSafeInteger(count) || (count as number) < 1) inconsistent(id, `the creator index (entry ${text})`);
    return Array.from({ length: count as number }, (_, n) => `${id}.${n}`);
}

/** Name of an evaluate transaction. */
export type ProvenanceQuery = keyof typeof PROVENANCE_QUERIES;
