/** State views over a real LevelDB: the pending overlay and the snapshot/cache rules. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blockOps, openDb, type AppliedBlock, type Db } from './state-db.js';
import { Overlay, StateCache, committedView, pendingView, type CommittedStore } from './state-views.js';

let dir: string;
let db: Db;
let store: CommittedStore;
let blockNumber = 0;

async function apply(writes: Record<string, string | undefined>, txId = `tx${blockNumber}`): Promise<void> {
    const block: AppliedBlock = {
        number: blockNumber++,
        offset: 0,
        length: 1,
        hash: '0'.repeat(64),
        txs: [{ id: txId, timestampMs: 1000 * blockNumber, writes: Object.entries(writes).map(([key, v]) => ({ key, value: v === undefined ? undefined : Buffer.from(v) })) }],
    };
    store.applying = true;
    await db.batch(blockOps(block));
    for (const [key, v] of Object.entries(writes)) store.cache.update(key, v === undefined ? undefined : Buffer.from(v));
    store.generation += 1;
    store.applying = false;
}

async function keys(gen: AsyncGenerator<{ key: string; value: Buffer }>): Promise<string[]> {
    const out: string[] = [];
    for await (const entry of gen) out.push(`${entry.key}=${entry.value.toString()}`);
    return out;
}

beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hyperprov-views-'));
    db = openDb(join(dir, 'db'));
    await db.open();
    store = { db, cache: new StateCache(100), applying: false, generation: 0 };
    blockNumber = 0;
});

afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
});

describe('pendingView', () => {
    it('layers ordered-but-unapplied writes over committed state, for gets, ranges and history', async () => {
        await apply({ a: '1', c: '1', e: '1', '\u0000idx\u0000x\u0000': '1' });
        const overlay = new Overlay();
        overlay.add({ seq: 1, id: 'p1', timestampMs: 5000, writes: new Map([['b', Buffer.from('2')], ['c', undefined]]) });
        overlay.add({ seq: 2, id: 'p2', timestampMs: 6000, writes: new Map([['d', Buffer.from('2')], ['e', Buffer.from('3')], ['f', Buffer.from('2')]]) });
        const view = pendingView(committedView(store), overlay);
        expect(view.get('c')).toBeUndefined();
        expect(view.get('e')?.toString()).toBe('3');
        expect(view.get('a')?.toString()).toBe('1');
        expect(await keys(view.range(Buffer.from('\x01'), Buffer.of(0xff)))).toEqual(['a=1', 'b=2', 'd=2', 'e=3', 'f=2']);
        expect(await keys(view.range(Buffer.from('b'), Buffer.from('e')))).toEqual(['b=2', 'd=2']);
        const history = [];
        for await (const h of view.history('c')) history.push(`${h.txId}:${h.isDelete}`);
        expect(history).toEqual(['p1:true', 'tx0:false']);
        // Once their block is applied, the overlay lets go and the same answers come from LevelDB.
        await apply({ b: '2', c: undefined }, 'p1');
        overlay.release(1);
        expect(await keys(view.range(Buffer.from('\x01'), Buffer.of(0xff)))).toEqual(['a=1', 'b=2', 'd=2', 'e=3', 'f=2']);
        expect(overlay.size).toBe(1);
    });
});

describe('committedView', () => {
    it('keeps a snapshot view at its point in time even after the cache moved on', async () => {
        await apply({ k: 'old' });
        const snapshotView = committedView(store, db.snapshot());
        expect(snapshotView.get('k')?.toString()).toBe('old');
        await apply({ k: 'new', j: 'new' });
        expect(committedView(store).get('k')?.toString()).toBe('new');
        expect(snapshotView.get('k')?.toString()).toBe('old');
        expect(snapshotView.get('j')).toBeUndefined();
        expect(await keys(snapshotView.range(Buffer.from('a'), Buffer.from('z')))).toEqual(['k=old']);
        await snapshotView.close();
    });

    it('never caches a value read while a block is being applied', async () => {
        await apply({ k: 'v1' });
        store.applying = true;
        committedView(store).get('k');
        store.applying = false;
        expect(store.cache.get('k')).toBeUndefined();
        committedView(store).get('k');
        expect(store.cache.get('k')?.toString()).toBe('v1');
    });
});
