import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';
import { INDEX, INDEX_VALUE } from './state-layout';
import { FakeLedger } from './testing/fake-ledger';
import { expectError, harness, input } from './testing/fixtures';

/** A <- B <- C <- … chain of `length` records with ids c0..c{length-1}; c0 is the source. */
async function chain(length: number) {
    const h = harness();
    await h.set(input('c/0'), { txId: 'c0' });
    for (let i = 1; i < length; i++) {
        await h.set(input(`c/${i}`, { type: 'transformation', dependencies: [`c${i - 1}`] }), { txId: `c${i}` });
    }
    return h;
}

/** Diamond: a; b and c derived from a; d derived from b and c. */
async function diamond() {
    const h = harness();
    await h.set(input('a'), { txId: 'a' });
    await h.setMany(
        [
            input('b', { type: 'transformation', dependencies: ['a'] }),
            input('c', { type: 'transformation', dependencies: ['a'] }),
            input('d', { type: 'transformation', dependencies: ['$0', '$1'] }),
        ],
        { txId: 't' },
    );
    return h;
}

describe('getDependencies (upstream)', () => {
    it('returns full records and edges of a chain', async () => {
        const h = await chain(3);
        const graph = await h.up('c2');
        expect(graph.root).toBe('c2');
        expect(Object.keys(graph.records).sort()).toEqual(['c0', 'c1', 'c2']);
        expect(graph.records.c0).toEqual(await h.getFromId('c0'));
        expect(graph.edges).toEqual({ c2: ['c1'], c1: ['c0'], c0: [] });
        expect(graph.truncated).toEqual([]);
    });

    it('visits each record of a diamond once and reads each entry once (a batch is one entry)', async () => {
        const h = await diamond();
        const before = h.ledger.getStateCalls;
        const graph = await h.up('t.2');
        expect(Object.keys(graph.records).sort()).toEqual(['a', 't.0', 't.1', 't.2']);
        expect(graph.edges).toEqual({ 't.2': ['t.0', 't.1'], 't.0': ['a'], 't.1': ['a'], a: [] });
        // 'a', then batch t once for t.2, t.0 and t.1.
        expect(h.ledger.getStateCalls - before).toBe(2);
    });

    it('stops at the depth limit and lists what it cut off', async () => {
        const h = await chain(6);
        const two = await h.up('c5', '2');
        expect(Object.keys(two.records).sort()).toEqual(['c3', 'c4', 'c5']);
        expect(two.truncated).toEqual(['c3']);
        expect(two.edges.c3).toBeUndefined();
        const zero = await h.up('c5', '0');
        expect(Object.keys(zero.records)).toEqual(['c5']);
        expect(zero.truncated).toEqual(['c5']);
        expect(zero.edges).toEqual({});
        // A source at the limit has nothing further, so nothing is truncated.
        const exact = await h.up('c5', '5');
        expect(Object.keys(exact.records)).toHaveLength(6);
        expect(exact.truncated).toEqual([]);
    });

    it('terminates on a cycle written directly into state', async () => {
        const h = await chain(3);
        // Make c0 depend on c2: impossible through the contract, possible in corrupt state.
        const c0 = { ...(await h.getFromId('c0')), dependencies: ['c2'] };
        h.ledger.putRaw(FakeLedger.compositeKey(INDEX.record, ['c0']), canonicalJson(c0));
        const graph = await h.up('c2');
        expect(Object.keys(graph.records).sort()).toEqual(['c0', 'c1', 'c2']);
        expect(graph.edges.c0).toEqual(['c2']);
        // Downstream cycle through the reverse index too.
        h.ledger.putRaw(FakeLedger.compositeKey(INDEX.dependent, ['c2', 'c0']), INDEX_VALUE);
        const down = await h.down('c0');
        expect(Object.keys(down.records).sort()).toEqual(['c0', 'c1', 'c2']);
        expect(down.edges.c2).toEqual(['c0']);
    });

    it('reports an inconsistent state when a referenced record is missing', async () => {
        const h = await chain(2);
        const c1 = { ...(await h.getFromId('c1')), dependencies: ['ghost'] };
        h.ledger.putRaw(FakeLedger.compositeKey(INDEX.record, ['c1']), canonicalJson(c1));
        await expectError(h.up('c1'), 'NOT_FOUND', /'ghost' \(a dependency of c1\).*verify --ledger/);
    });

    it('validates id and depth and reports an unknown root', async () => {
        const h = await chain(1);
        await expectError(h.up('nope'), 'NOT_FOUND', /no record with id 'nope'/);
        await expectError(h.up('c0', '-1'), 'INVALID_ARGUMENT', /depth/);
        await expectError(h.up('c0', '100001'), 'INVALID_ARGUMENT', /from 0 to 100000/);
        await expectError(h.down('c0', 'deep'), 'INVALID_ARGUMENT', /depth/);
    });

    it('walks a 1000-deep chain in one call', async () => {
        const h = await chain(1000);
        const started = performance.now();
        const graph = await h.up('c999', '1000');
        const ms = performance.now() - started;
        expect(Object.keys(graph.records)).toHaveLength(1000);
        expect(graph.truncated).toEqual([]);
        // Generous bound for a shared 2-core machine; the fake is in-memory.
        expect(ms).toBeLessThan(1000);
        console.info(`getDependencies over a 1000-deep chain (fake stub): ${ms.toFixed(1)} ms`);
    });
});

describe('getDependents (downstream)', () => {
    it('follows the reverse index through a diamond, each record once', async () => {
        const h = await diamond();
        const graph = await h.down('a');
        expect(Object.keys(graph.records).sort()).toEqual(['a', 't.0', 't.1', 't.2']);
        expect(graph.edges).toEqual({ a: ['t.0', 't.1'], 't.0': ['t.2'], 't.1': ['t.2'], 't.2': [] });
        expect(graph.truncated).toEqual([]);
    });

    it('stops at the depth limit and marks records that have further dependents', async () => {
        const h = await chain(4);
        const one = await h.down('c0', '1');
        expect(Object.keys(one.records).sort()).toEqual(['c0', 'c1']);
        expect(one.truncated).toEqual(['c1']);
        const leaf = await h.down('c3', '0');
        expect(leaf.truncated).toEqual([]);
    });
});
