import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { watchInterruption } from './interruption.js';
import { PartReader } from './part-reader.js';

async function* chunks(sizes: number[]): AsyncGenerator<Uint8Array> {
    let value = 0;
    for (const size of sizes) {
        const chunk = new Uint8Array(size);
        for (let i = 0; i < size; i++) chunk[i] = value++ & 0xff;
        yield chunk;
    }
}

describe('PartReader', () => {
    it('cuts uneven chunks into exact parts and detects the end at a part boundary', async () => {
        const reader = new PartReader(chunks([3, 7, 0, 5, 5]), watchInterruption(undefined, undefined));
        const part = new Uint8Array(10);
        expect(await reader.fill(part)).toBe(10);
        expect([...part]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(await reader.atEnd()).toBe(false);
        expect(await reader.fill(part)).toBe(10);
        expect(part[0]).toBe(10);
        expect(await reader.atEnd()).toBe(true);
        expect(await reader.fill(part)).toBe(0);
    });

    it('stops waiting for a stalled body when interrupted, and destroys a released Readable', async () => {
        const controller = new AbortController();
        const interruption = watchInterruption(controller.signal, undefined);
        const body = new Readable({ read() {} });
        body.push(Buffer.alloc(4));
        const reader = new PartReader(body, interruption);
        const filling = reader.fill(new Uint8Array(10));
        setTimeout(() => controller.abort(), 10);
        await expect(filling).rejects.toMatchObject({ code: 'ABORTED' });
        reader.release();
        expect(body.destroyed).toBe(true);
    });

    it('rejects object-mode chunks with INVALID_ARGUMENT', async () => {
        const reader = new PartReader(Readable.from([{ not: 'bytes' }]) as unknown as Readable, watchInterruption(undefined, undefined));
        await expect(reader.fill(new Uint8Array(4))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
});

describe('PartReader memory', () => {
    it('keeps no chunk alive once it is copied, even while the put can still be interrupted', async () => {
        setFlagsFromString('--expose-gc');
        const gc = runInNewContext('gc') as () => void;
        const refs: Array<WeakRef<Uint8Array>> = [];
        async function* fresh(): AsyncGenerator<Uint8Array> {
            for (let i = 0; i < 32; i++) {
                const chunk = new Uint8Array(1024 * 1024);
                refs.push(new WeakRef(chunk));
                yield chunk;
            }
        }
        const interruption = watchInterruption(new AbortController().signal, new Promise<string>(() => {}));
        const reader = new PartReader(fresh(), interruption);
        const part = new Uint8Array(4 * 1024 * 1024);
        while ((await reader.fill(part)) > 0);
        await new Promise((resolve) => setTimeout(resolve, 0));
        gc();
        await new Promise((resolve) => setTimeout(resolve, 0));
        // Racing each read against the long-lived interruption with Promise.race kept all 32 alive.
        expect(refs.filter((ref) => ref.deref() !== undefined).length).toBeLessThanOrEqual(2);
        interruption.dispose();
    });
});
