import { describe, expect, it } from 'vitest';
import type { LedgerEvent } from '@hyperprov/ledger';
import { EventHub, type ReadBlockEvents } from './event-hub.js';

/** A fake chain: block n has one event named `e<n>`. */
function chain() {
    let height = 1;
    const event = (n: number): LedgerEvent => ({ blockNumber: BigInt(n), transactionId: `t${n}`, eventName: `e${n}`, payload: '' });
    const reads: [number, number][] = [];
    const read: ReadBlockEvents = async function* (from, to) {
        reads.push([from, to]);
        for (let n = from; n < to; n++) yield { number: n, events: [event(n)] };
    };
    return {
        read,
        reads,
        height: () => height,
        commit(hub: EventHub) {
            const n = height++;
            hub.publish(n, [event(n)]);
        },
    };
}

async function take(iterator: AsyncIterator<LedgerEvent>, count: number): Promise<string[]> {
    const names: string[] = [];
    while (names.length < count) {
        const r = await iterator.next();
        if (r.done) break;
        names.push(r.value.eventName);
    }
    return names;
}

describe('EventHub', () => {
    it('replays from the file, then follows live blocks without a gap', async () => {
        const hub = new EventHub();
        const c = chain();
        for (let i = 0; i < 3; i++) c.commit(hub);
        const stream = hub.subscribe(1, c.height, c.read)[Symbol.asyncIterator]();
        expect(await take(stream, 3)).toEqual(['e1', 'e2', 'e3']);
        c.commit(hub);
        c.commit(hub);
        // Blocks 4 and 5 came while the stream was still replaying: they are read from the file too.
        expect(await take(stream, 2)).toEqual(['e4', 'e5']);
        expect(c.reads).toEqual([[1, 4], [4, 6]]);
        // Caught up: now fed from memory.
        const live = stream.next();
        await new Promise((resolve) => setImmediate(resolve));
        c.commit(hub);
        expect((await live).value?.eventName).toBe('e6');
        expect(c.reads).toHaveLength(2);
        hub.close();
        expect((await stream.next()).done).toBe(true);
    });

    it('falls back to the file when a subscriber lags, and loses nothing', async () => {
        const hub = new EventHub(4);
        const c = chain();
        const stream = hub.subscribe(1, c.height, c.read)[Symbol.asyncIterator]();
        const first = stream.next();
        c.commit(hub);
        expect((await first).value?.eventName).toBe('e1');
        // Ten blocks while nobody reads: only four fit in memory.
        for (let i = 0; i < 10; i++) c.commit(hub);
        expect(await take(stream, 10)).toEqual(['e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9', 'e10', 'e11']);
        expect(c.reads.length).toBe(1);
        c.commit(hub);
        expect(await take(stream, 1)).toEqual(['e12']);
        await stream.return?.(undefined);
    });

    it('ends when the signal aborts', async () => {
        const hub = new EventHub();
        const c = chain();
        const controller = new AbortController();
        const stream = hub.subscribe(1, c.height, c.read, controller.signal)[Symbol.asyncIterator]();
        const next = stream.next();
        controller.abort();
        expect((await next).done).toBe(true);
    });
});
