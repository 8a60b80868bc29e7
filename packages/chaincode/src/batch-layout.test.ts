/**
 * setMany's records are one state entry per transaction (INDEX.batch); batches recorded before
 * that layout (one `record` entry per item) stay readable everywhere a record is read.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';
import type { ProvenanceRecord } from './record';
import { INDEX } from './state-layout';
import { FakeLedger } from './testing/fake-ledger';
import { expectError, harness, input, SHA_B } from './testing/fixtures';

/** The fake ledger's default submitter. */
const ALICE = 'x509::/CN=alice::/CN=ca.org1';

describe('batch layout', () => {
    it('a batch is one entry holding its records in order, and no per-record entries', async () => {
        const h = harness();
        const records = await h.setMany([input('b/0'), input('b/1', { type: 'transformation', dependencies: ['$0'] })], { txId: 'tx' });
        expect(h.ledger.state.get(FakeLedger.compositeKey(INDEX.batch, ['tx']))?.toString()).toBe(canonicalJson(records));
        expect(h.ledger.state.has(FakeLedger.compositeKey(INDEX.record, ['tx.0']))).toBe(false);
        expect(await h.getFromId('tx.1')).toEqual(records[1]);
        expect(h.ledger.state.get('b/1')?.toString()).toBe(canonicalJson(records[1]));
    });

    it('ids that only look like a batch item are not found', async () => {
        const h = harness();
        await h.setMany([input('b/0'), input('b/1')], { txId: 'tx' });
        for (const id of ['tx.2', 'tx.01', 'tx.-1', 'tx']) await expectError(h.getFromId(id), 'NOT_FOUND');
    });

    it('reads each batch once per query, however many of its records it needs', async () => {
        const h = harness();
        const batch = await h.setMany([input('c/0'), input('c/1'), input('c/2')], { txId: 'many' });
        const before = h.ledger.getStateCalls;
        const byChecksum = await h.getByChecksum(batch[0]?.checksum as string);
        expect(byChecksum.map((r) => r.id).sort()).toEqual(['many.0', 'many.1', 'many.2']);
        expect(h.ledger.getStateCalls - before).toBe(1);
    });

    it('a second batch with the same transaction id is refused (CONFLICT), like a reused set id', async () => {
        const h = harness();
        await h.setMany([input('d/0')], { txId: 'same' });
        await expectError(h.setMany([input('d/1')], { txId: 'same' }), 'CONFLICT');
    });

    it('a new record may depend on batch items, which are checked through their batch entry', async () => {
        const h = harness();
        await h.setMany([input('e/0'), input('e/1')], { txId: 'eb' });
        const child = await h.set(input('e/child', { type: 'transformation', dependencies: ['eb.0', 'eb.1'] }), { txId: 'ec' });
        expect(child.dependencies).toEqual(['eb.0', 'eb.1']);
        await expectError(h.set(input('e/bad', { type: 'transformation', dependencies: ['eb.2'] }), { txId: 'ed' }), 'DEPENDENCY_NOT_FOUND');
    });

    it('getByCreator pages through batch entries at any page size: every record once, in order', async () => {
        const h = harness();
        const ids: string[] = [];
        // Singles and batches of 1, 3 and 5 records, interleaved, all by one submitter.
        const shapes = [0, 3, 0, 1, 5, 0, 0, 3];
        for (const [t, count] of shapes.entries()) {
            if (count === 0) ids.push((await h.set(input(`p/${t}`), { txId: `t${t}` })).id);
            else ids.push(...(await h.setMany(Array.from({ length: count }, (_, n) => input(`p/${t}/${n}`)), { txId: `t${t}` })).map((r) => r.id));
        }
        // Timestamps of the fake ledger rise with each transaction, so index order is record order.
        const all = (await h.byCreator(ALICE, '1000')).items.map((r) => r.id);
        expect(all).toEqual(ids);
        for (let size = 1; size <= ids.length + 1; size++) {
            const seen: string[] = [];
            let bookmark = '';
            for (let pages = 0; pages <= ids.length; pages++) {
                const page = await h.byCreator(ALICE, String(size), bookmark);
                expect(page.items.length).toBeLessThanOrEqual(size);
                seen.push(...page.items.map((r) => r.id));
                bookmark = page.bookmark;
                if (bookmark === '') break;
            }
            expect(seen, `page size ${size}`).toEqual(ids);
        }
    });

    it('getByCreator refuses a bookmark it did not make', async () => {
        const h = harness();
        await h.setMany([input('q/0'), input('q/1')], { txId: 'q' });
        await expectError(h.byCreator(ALICE, '1', 'x\u0001-3'), 'INVALID_ARGUMENT', /bookmark/);
    });

    describe('batches recorded before the batch layout (one record entry per item)', () => {
        /** Writes a two-item batch the way the contract did before INDEX.batch. */
        function oldBatch(h: ReturnType<typeof harness>): ProvenanceRecord[] {
            const base = { schema: 1, checksum: SHA_B, size: 10, location: 'file:///store', creator: { mspId: 'Org1MSP', id: 'x509::alice' }, timestamp: '2026-01-01T00:00:00.000Z', meta: {} };
            const records = [
                { ...base, id: 'old.0', key: 'old/0', pointer: 'p0', type: 'record', dependencies: [] },
                { ...base, id: 'old.1', key: 'old/1', pointer: 'p1', type: 'transformation', dependencies: ['old.0'] },
            ] as unknown as ProvenanceRecord[];
            for (const record of records) {
                h.ledger.putRaw(record.key, canonicalJson(record));
                h.ledger.putRaw(FakeLedger.compositeKey(INDEX.record, [record.id]), canonicalJson(record));
            }
            h.ledger.putRaw(FakeLedger.compositeKey(INDEX.dependent, ['old.0', 'old.1']), '1');
            return records;
        }

        it('are found by id, walked in both directions, and can be depended on', async () => {
            const h = harness();
            const [first, second] = oldBatch(h);
            expect(await h.getFromId('old.1')).toEqual(second);
            expect(Object.keys((await h.up('old.1')).records).sort()).toEqual(['old.0', 'old.1']);
            expect(Object.keys((await h.down('old.0')).records).sort()).toEqual(['old.0', 'old.1']);
            const child = await h.set(input('new/child', { type: 'transformation', dependencies: [first?.id as string] }), { txId: 'nc' });
            expect((await h.up(child.id)).records['old.0']).toEqual(first);
        });
    });
});
