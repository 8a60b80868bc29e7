/** Fabric semantics of the embedded stub, against an in-memory view (the LevelDB views are covered by the ledger tests). */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from './state-db.js';
import type { StateEntry, StateView } from './state-views.js';
import { EmbeddedStub, type KV, type ShimIterator } from './stub.js';

function memoryView(entries: Record<string, string>, history: Record<string, HistoryEntry[]> = {}): StateView {
    const map = new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));
    return {
        get: (key) => map.get(key),
        async *range(start, end): AsyncGenerator<StateEntry> {
            const keys = [...map.keys()]
                .map((k) => ({ k, b: Buffer.from(k) }))
                .filter(({ b }) => Buffer.compare(b, start) >= 0 && Buffer.compare(b, end) < 0)
                .sort((x, y) => Buffer.compare(x.b, y.b));
            for (const { k } of keys) yield { key: k, value: map.get(k) as Buffer };
        },
        async *history(key) {
            yield* history[key] ?? [];
        },
    };
}

async function drain<T>(iterator: ShimIterator<T>): Promise<T[]> {
    const out: T[] = [];
    for (;;) {
        const r = await iterator.next();
        if (r.done) break;
        out.push(r.value);
    }
    await iterator.close();
    return out;
}

const require = createRequire(import.meta.url);
const ShimStub = require('fabric-shim/lib/stub.js') as {
    prototype: {
        createCompositeKey(type: string, attrs: string[]): string;
        splitCompositeKey(key: string): { objectType: string | null; attributes: string[] };
    };
};

describe('EmbeddedStub', () => {
    it('builds and splits composite keys exactly like fabric-shim', () => {
        const stub = new EmbeddedStub(memoryView({}), 'tx', 0);
        for (const [type, attrs] of [
            ['record', ['abc']],
            ['dependent', ['a', 'b.0']],
            ['creator', ['x509::/CN=a::/CN=b', '2026-01-01T00:00:00.000Z', 'id']],
            ['t', []],
        ] as [string, string[]][]) {
            const key = stub.createCompositeKey(type, attrs);
            expect(key).toBe(ShimStub.prototype.createCompositeKey(type, attrs));
            expect(stub.splitCompositeKey(key)).toEqual(ShimStub.prototype.splitCompositeKey(key));
        }
        expect(stub.splitCompositeKey('plain')).toEqual(ShimStub.prototype.splitCompositeKey('plain'));
        expect(() => stub.createCompositeKey('', ['a'])).toThrow(/non-zero length/);
        expect(() => stub.createCompositeKey('t', [''])).toThrow(/non-zero length/);
    });

    it('has no read-your-writes, treats an empty put as a delete and keeps the last write', async () => {
        const stub = new EmbeddedStub(memoryView({ a: '1' }), 'tx', 0);
        await stub.putState('a', Buffer.from('2'));
        expect((await stub.getState('a')).toString()).toBe('1');
        await stub.putState('b', 'x');
        expect((await stub.getState('b')).length).toBe(0);
        await stub.putState('b', '');
        await stub.putState('c', 'first');
        await stub.putState('c', 'second');
        await stub.deleteState('a');
        const { writes } = stub.effects();
        expect(writes.get('a')).toBeUndefined();
        expect(writes.has('a')).toBe(true);
        expect(writes.get('b')).toBeUndefined();
        expect(writes.get('c')?.toString()).toBe('second');
        await expect(stub.putState('', 'x')).rejects.toThrow(/empty/);
    });

    it('keeps composite keys out of simple-key ranges and refuses composite range bounds', async () => {
        const stub = new EmbeddedStub(memoryView({ a: '1', b: '2', '\u0000record\u0000a\u0000': 'r' }), 'tx', 0);
        const all: KV[] = [];
        for await (const kv of stub.getStateByRange('', '')) all.push(kv);
        expect(all.map((kv) => kv.key)).toEqual(['a', 'b']);
        expect((await drain(await stub.getStateByRange('a', 'b'))).map((kv) => kv.key)).toEqual(['a']);
        await expect(stub.getStateByRange('\u0000x', '')).rejects.toThrow(/null character/);
        const composite = await drain(await stub.getStateByPartialCompositeKey('record', []));
        expect(composite.map((kv) => kv.key)).toEqual(['\u0000record\u0000a\u0000']);
    });

    it('paginates with the next key as bookmark and an empty bookmark at the end', async () => {
        const view = memoryView({ k1: '1', k2: '2', k3: '3' });
        const stub = new EmbeddedStub(view, 'tx', 0);
        const first = await stub.getStateByRangeWithPagination('k', 'l', 2, '');
        expect((await drain(first.iterator)).map((kv) => kv.key)).toEqual(['k1', 'k2']);
        expect(first.metadata).toEqual({ fetchedRecordsCount: 2, bookmark: 'k3' });
        const second = await stub.getStateByRangeWithPagination('k', 'l', 2, first.metadata.bookmark);
        expect((await drain(second.iterator)).map((kv) => kv.key)).toEqual(['k3']);
        expect(second.metadata).toEqual({ fetchedRecordsCount: 1, bookmark: '' });
    });

    it('refuses writes after a paginated query and paginated queries after writes, like Fabric', async () => {
        const reader = new EmbeddedStub(memoryView({ k: '1' }), 'tx', 0);
        await reader.getStateByRangeWithPagination('', '', 1, '');
        await expect(reader.putState('x', '1')).rejects.toThrow(/pagination/);
        const writer = new EmbeddedStub(memoryView({ k: '1' }), 'tx', 0);
        await writer.putState('x', '1');
        await expect(writer.getStateByRangeWithPagination('', '', 1, '')).rejects.toThrow(/Paginated/);
    });

    it('returns history newest first with Fabric timestamps', async () => {
        const history: HistoryEntry[] = [
            { txId: 't2', isDelete: false, timestampMs: 1_700_000_000_123, value: Buffer.from('v2') },
            { txId: 't1', isDelete: true, timestampMs: 1_600_000_000_000, value: Buffer.alloc(0) },
        ];
        const stub = new EmbeddedStub(memoryView({}, { k: history }), 'tx', 0);
        const items = await drain(await stub.getHistoryForKey('k'));
        expect(items).toEqual([
            { txId: 't2', isDelete: false, value: Buffer.from('v2'), timestamp: { seconds: 1_700_000_000, nanos: 123_000_000 } },
            { txId: 't1', isDelete: true, value: Buffer.alloc(0), timestamp: { seconds: 1_600_000_000, nanos: 0 } },
        ]);
    });

    it('stops a simulation at its next read once the signal aborts', async () => {
        const controller = new AbortController();
        const stub = new EmbeddedStub(memoryView({ a: '1', b: '2' }), 'tx', 0, { signal: controller.signal });
        expect((await stub.getState('a')).toString()).toBe('1');
        const iterator = await stub.getStateByRange('', '');
        expect((await iterator.next()).done).toBe(false);
        controller.abort();
        await expect(stub.getState('b')).rejects.toMatchObject({ code: 'ABORTED' });
        await expect(iterator.next()).rejects.toMatchObject({ code: 'ABORTED' });
    });

    it('keeps only the last event and exposes tx id and timestamp', () => {
        const stub = new EmbeddedStub(memoryView({}), 'abc', 1_700_000_000_123);
        stub.setEvent('first', Buffer.from('1'));
        stub.setEvent('second', Buffer.from('2'));
        expect(stub.effects().event).toEqual({ name: 'second', payload: Buffer.from('2') });
        expect(() => stub.setEvent('', Buffer.alloc(0))).toThrow();
        expect(stub.getTxID()).toBe('abc');
        expect(stub.getDateTimestamp().toISOString()).toBe('2023-11-14T22:13:20.123Z');
    });
});
