import { Readable } from 'node:stream';
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
