/** Two organisations' users writing one key: the history shows both creators. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import type { FabricLedger } from './fabric-ledger.js';
import { openTestLedger, recordInput, runPrefix } from './testing/fixtures.js';

describe('identities of two organisations', () => {
    let org1: FabricLedger;
    let org2: FabricLedger;
    beforeAll(async () => {
        org1 = await openTestLedger('Org1');
        org2 = await openTestLedger('Org2');
    });
    afterAll(async () => {
        await Promise.all([org1?.close(), org2?.close()]);
    });

    it('records each version with its own creator, whichever gateway reads it', async () => {
        const key = `${runPrefix('identities')}/shared`;
        const first = JSON.parse((await org1.submit('set', [recordInput(key)])).result) as ProvenanceRecord;
        const second = JSON.parse((await org2.submit('set', [recordInput(key)])).result) as ProvenanceRecord;
        expect(first.creator.mspId).toBe('Org1MSP');
        expect(second.creator.mspId).toBe('Org2MSP');
        expect(first.creator.id).toMatch(/^x509::.*CN=User1@org1\.example\.com/);
        expect(second.creator.id).toMatch(/^x509::.*CN=User1@org2\.example\.com/);
        for (const ledger of [org1, org2]) {
            const history = JSON.parse(await ledger.evaluate('getKeyHistory', [key, '10', ''])) as Page<ProvenanceRecord>;
            expect(history.items.map((r) => [r.id, r.creator.mspId])).toEqual([
                [second.id, 'Org2MSP'],
                [first.id, 'Org1MSP'],
            ]);
        }
    });
});
