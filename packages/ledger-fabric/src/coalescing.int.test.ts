/** Coalescing on a real network: 64 concurrent `set` calls share a few setMany transactions, each caller its own record. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import type { FabricLedger } from './fabric-ledger.js';
import { openTestLedger, recordInput, runPrefix } from './testing/fixtures.js';

describe('coalescing on Fabric', () => {
    let ledger: FabricLedger;
    beforeAll(async () => {
        ledger = await openTestLedger('Org1');
    });
    afterAll(async () => {
        await ledger.close();
    });

    it('records 64 concurrent sets in few transactions; every caller gets a distinct, readable record id and a set-shaped result', async () => {
        const run = runPrefix('coalesce');
        const keys = Array.from({ length: 64 }, (_, i) => `${run}/${String(i).padStart(2, '0')}`);
        const results = await Promise.all(keys.map((key) => ledger.submit('set', [recordInput(key)])));
        const ids = results.map((r) => r.transactionId);
        expect(new Set(ids).size).toBe(64);
        const transactions = new Set(ids.map((id) => id.split('.')[0]));
        expect(transactions.size).toBeLessThan(64);
        for (const [i, result] of results.entries()) {
            const record = JSON.parse(result.result) as ProvenanceRecord;
            expect(record.id).toBe(result.transactionId);
            expect(record.key).toBe(keys[i]);
            // Exactly what the contract stores and returns for that id.
            expect(await ledger.evaluate('getFromId', [result.transactionId])).toBe(result.result);
        }
    });

    it('sends two versions of one key in call order, and a bad record fails alone', async () => {
        const run = runPrefix('coalesce-keys');
        const outcomes = await Promise.allSettled([
            ledger.submit('set', [recordInput(`${run}/k`, { meta: { v: 1 } })]),
            ledger.submit('set', [recordInput(`${run}/other`)]),
            ledger.submit('set', [recordInput(`${run}/k`, { meta: { v: 2 } })]),
            ledger.submit('set', [recordInput(`${run}/bad`, { dependencies: ['f'.repeat(64)] })]),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
        expect((outcomes[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'DEPENDENCY_NOT_FOUND' });
        const latest = JSON.parse(await ledger.evaluate('get', [`${run}/k`])) as ProvenanceRecord;
        expect(latest.meta).toEqual({ v: 2 });
        const history = JSON.parse(await ledger.evaluate('getKeyHistory', [`${run}/k`, '10', ''])) as { items: ProvenanceRecord[] };
        expect(history.items.map((r) => r.meta)).toEqual([{ v: 2 }, { v: 1 }]);
    });
});
