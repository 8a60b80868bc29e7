import { afterEach, describe, expect, it } from 'vitest';
import { configureRecordCache } from './record-cache';
import { harness, input } from './testing/fixtures';

afterEach(() => configureRecordCache({ maxBytes: 0 }));

/** `length` checkpoints of one key, each depending on a dataset manifest and on the checkpoint before. */
async function run(length: number, h = harness()) {
    await h.set(input('datasets/train'), { txId: 'ds' });
    let previous: string | undefined;
    for (let i = 0; i < length; i++) {
        const dependencies = previous === undefined ? ['ds'] : ['ds', previous];
        previous = (await h.set(input('models/net', { type: 'transformation', dependencies, meta: { epoch: i } }), { txId: `e${i}` })).id;
    }
    return h;
}

describe('upstream walks read a chain of versions through the key history', () => {
    it('a run of 250 epochs: the whole graph, with only the root, the manifest and one epoch read by id', async () => {
        const h = await run(250);
        const before = h.ledger.getStateCalls;
        const graph = await h.up('e249');
        expect(Object.keys(graph.records)).toHaveLength(251);
        expect(graph.edges.e249).toEqual(['ds', 'e248']);
        expect(graph.edges.e0).toEqual(['ds']);
        // The root, the manifest and the first earlier epoch by id; the other 248 from the history.
        expect(h.ledger.getStateCalls - before).toBe(3);
        expect(graph.records.e100).toEqual(await h.getFromId('e100'));
        expect(h.ledger.historyCalls).toBe(1);
        expect(h.ledger.openIterators).toBe(0);
    });

    it('an old root: one page of newer versions is read in vain, then the walk goes on by id', async () => {
        const h = await run(300);
        const history = h.ledger.historyEntriesRead;
        const graph = await h.up('e20');
        expect(Object.keys(graph.records).sort()).toEqual(['ds', ...Array.from({ length: 21 }, (_, i) => `e${i}`)].sort());
        expect(h.ledger.historyEntriesRead - history).toBe(100);
        expect(h.ledger.openIterators).toBe(0);
    });

    it('versions that are no chain (each made from a dataset only) never open the history', async () => {
        const h = harness();
        await h.set(input('datasets/a'), { txId: 'a' });
        for (let i = 0; i < 5; i++) await h.set(input('models/m', { type: 'transformation', dependencies: ['a'] }), { txId: `m${i}` });
        await h.up('m4');
        expect(h.ledger.historyCalls).toBe(0);
    });

    it('a walk that stops at a depth limit closes the history it opened', async () => {
        const h = await run(50);
        const graph = await h.up('e49', '10');
        expect(graph.truncated).toEqual(['e39']);
        expect(h.ledger.openIterators).toBe(0);
    });

    it('with the record cache of a chaincode server, a repeated walk reads neither state nor history', async () => {
        configureRecordCache({ maxBytes: 1 << 22 });
        const h = await run(150);
        const first = await h.up('e149');
        const [states, entries] = [h.ledger.getStateCalls, h.ledger.historyEntriesRead];
        expect(await h.up('e149')).toEqual(first);
        expect([h.ledger.getStateCalls - states, h.ledger.historyEntriesRead - entries]).toEqual([0, 0]);
    });
});
