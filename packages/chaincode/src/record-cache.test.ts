import { afterEach, describe, expect, it } from 'vitest';
import { configureRecordCache, recordCacheBytesFromEnv, recordCacheStats } from './record-cache';
import { harness, input } from './testing/fixtures';

afterEach(() => configureRecordCache({ maxBytes: 0 }));

/** A chain c0 <- c1 <- … of `length` records, one transaction each. */
async function chain(length: number, h = harness()) {
    await h.set(input('c/0'), { txId: 'c0' });
    for (let i = 1; i < length; i++) await h.set(input(`c/${i}`, { type: 'transformation', dependencies: [`c${i - 1}`] }), { txId: `c${i}` });
    return h;
}

describe('record cache (chaincode server)', () => {
    it('is off by default: every walk reads every record from state', async () => {
        const h = await chain(5);
        const before = h.ledger.getStateCalls;
        await h.up('c4');
        await h.up('c4');
        expect(h.ledger.getStateCalls - before).toBe(10);
        expect(recordCacheStats().entries).toBe(0);
    });

    it('a repeated walk reads no record again, and an overlapping one only the new records', async () => {
        configureRecordCache({ maxBytes: 1 << 20 });
        const h = await chain(5);
        const first = await h.up('c4');
        const before = h.ledger.getStateCalls;
        expect(await h.up('c4')).toEqual(first);
        expect(h.ledger.getStateCalls).toBe(before);
        // The next epoch's lineage is the previous one plus one record.
        await h.set(input('c/5', { type: 'transformation', dependencies: ['c4'] }), { txId: 'c5' });
        const beforeNext = h.ledger.getStateCalls;
        const next = await h.up('c5');
        expect(Object.keys(next.records)).toHaveLength(6);
        expect(h.ledger.getStateCalls - beforeNext).toBe(1);
    });

    it('downstream walks use it too; their index scans still run, so new dependents are seen', async () => {
        configureRecordCache({ maxBytes: 1 << 20 });
        const h = await chain(3);
        expect(Object.keys((await h.down('c0')).records).sort()).toEqual(['c0', 'c1', 'c2']);
        await h.set(input('d/1', { type: 'transformation', dependencies: ['c0'] }), { txId: 'd1' });
        expect(Object.keys((await h.down('c0')).records).sort()).toEqual(['c0', 'c1', 'c2', 'd1']);
    });

    it('is filled only by reads of committed state, never by a transaction’s own writes', async () => {
        configureRecordCache({ maxBytes: 1 << 20 });
        const h = await chain(2);
        expect(recordCacheStats().entries).toBe(0);
        await h.up('c1');
        expect(recordCacheStats().entries).toBe(2);
        // A missing id is not remembered as missing: it may commit later.
        await expect(h.getFromId('c9')).rejects.toThrow();
        await h.set(input('c/9'), { txId: 'c9' });
        expect((await h.up('c9')).root).toBe('c9');
    });

    it('keeps channels apart', async () => {
        configureRecordCache({ maxBytes: 1 << 20 });
        const a = await chain(2);
        const b = harness();
        b.ledger.channel = 'other';
        await b.set(input('other/0', { checksum: `sha256:${'e'.repeat(64)}` }), { txId: 'c0' });
        await a.up('c1');
        expect((await b.up('c0')).records.c0?.key).toBe('other/0');
    });

    it('stays within its size, dropping the least recently used records first', async () => {
        const h = await chain(40);
        configureRecordCache({ maxBytes: 1 << 20 });
        await h.up('c39');
        const full = recordCacheStats();
        expect(full.entries).toBe(40);
        const perRecord = full.bytes / full.entries;
        configureRecordCache({ maxBytes: Math.floor(perRecord * 10.5) });
        expect(recordCacheStats().entries).toBe(10);
        expect(recordCacheStats().bytes).toBeLessThanOrEqual(recordCacheStats().maxBytes);
        // The walk from c39 reads c39 first and c0 last: the ten kept are the ones read last.
        const before = h.ledger.getStateCalls;
        await h.up('c9');
        expect(h.ledger.getStateCalls - before).toBe(0);
    });

    it('takes its size from HYPERPROV_RECORD_CACHE_MB (default 64 MiB, 0 turns it off)', () => {
        expect(recordCacheBytesFromEnv({})).toBe(64 * 1024 * 1024);
        expect(recordCacheBytesFromEnv({ HYPERPROV_RECORD_CACHE_MB: '8' })).toBe(8 * 1024 * 1024);
        expect(recordCacheBytesFromEnv({ HYPERPROV_RECORD_CACHE_MB: '0' })).toBe(0);
        expect(recordCacheBytesFromEnv({ HYPERPROV_RECORD_CACHE_MB: 'lots' })).toBe(0);
    });
});
