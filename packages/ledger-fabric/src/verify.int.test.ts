/** verify() on a real network: the chain, the records and both organisations' peers agree; a doctored copy is found. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBlock } from './block-content.js';
import { loadConnectionUser } from './connection-identity.js';
import type { FabricLedger } from './fabric-ledger.js';
import { openPeerSession } from './peer-session.js';
import { peerVerifySource } from './verify-source.js';
import { verifyFabricChain } from './verify.js';
import { openTestLedger, recordInput, runPrefix, testConnection } from './testing/fixtures.js';

describe('verify on Fabric', () => {
    let ledger: FabricLedger;
    beforeAll(async () => {
        ledger = await openTestLedger('Org1');
        const run = runPrefix('verify');
        await ledger.submit('setMany', [`[${recordInput(`${run}/a`)},${recordInput(`${run}/b`)}]`]);
        await ledger.submit('set', [recordInput(`${run}/a`)]);
    });
    afterAll(async () => {
        await ledger?.close();
    });

    it('passes: unbroken chain, records match the state, Org2 agrees', async () => {
        const result = await ledger.verify();
        expect(result.problems).toEqual([]);
        expect(result.ok).toBe(true);
        expect(result.height).toBe((await ledger.info()).height);
        expect(result.notes?.join('\n')).toMatch(/Org2's peer .* agrees up to block/);
    });

    it('finds a block of the other organisation doctored in memory', async () => {
        const connection = await testConnection();
        const org1 = connection.organizations[0]!;
        const identity = await loadConnectionUser(connection, { org: 'Org1', user: 'User1' });
        const session = openPeerSession({ peer: org1.peers[0]!, peerMspId: org1.mspId, identity, channel: connection.channel, chaincode: connection.chaincode, queryTimeoutMs: 15_000 });
        const source = peerVerifySource({ connection, organization: org1, session, identity, queryTimeoutMs: 15_000, evaluate: (fn, args) => ledger.evaluate(fn, args) });
        try {
            const real = source.otherPeers;
            source.otherPeers = async () =>
                (await real()).map((peer) => ({
                    ...peer,
                    block: async (n) => {
                        // Flip one byte of the block's last transaction, keep the header.
                        const block = await peer.block(n);
                        const entries = block.getData()!.getDataList_asU8();
                        const last = Uint8Array.from(entries[entries.length - 1]!);
                        last[last.length - 1] = (last[last.length - 1] ?? 0) ^ 0xff;
                        block.getData()!.setDataList([...entries.slice(0, -1), last]);
                        expect(decodeBlock(block).number).toBe(n);
                        return block;
                    },
                }));
            const result = await verifyFabricChain(source);
            expect(result.ok).toBe(false);
            expect(result.problems.map((p) => p.message)).toEqual([expect.stringMatching(/Org2's peer .* returned block \d+ whose data hash does not match its transactions/)]);
        } finally {
            source.close();
            session.close();
        }
    });
});
