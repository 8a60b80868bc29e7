import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { readBody, watchInterruption } from './body.js';

describe('readBody memory', () => {
    it('keeps no consumed chunk alive while the put can still be interrupted', async () => {
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
        // A checksum promise that never settles keeps the interruption alive for the whole read.
        const interruption = watchInterruption(new AbortController().signal, new Promise<string>(() => {}));
        let bytes = 0;
        for await (const chunk of readBody(fresh(), interruption)) bytes += chunk.byteLength;
        expect(bytes).toBe(32 * 1024 * 1024);
        await new Promise((resolve) => setTimeout(resolve, 0));
        gc();
        await new Promise((resolve) => setTimeout(resolve, 0));
        // Racing each read against the long-lived interruption with Promise.race kept all 32 alive.
        expect(refs.filter((ref) => ref.deref() !== undefined).length).toBeLessThanOrEqual(2);
        interruption.dispose();
    });

    it('stops a stalled body as soon as the put is aborted', async () => {
        const controller = new AbortController();
        const interruption = watchInterruption(controller.signal, undefined);
        async function* stalled(): AsyncGenerator<Uint8Array> {
            yield new Uint8Array(1);
            await new Promise(() => {});
        }
        const reading = (async () => {
            for await (const _ of readBody(stalled(), interruption));
        })();
        setTimeout(() => controller.abort(), 10);
        await expect(reading).rejects.toMatchObject({ code: 'ABORTED' });
    });
});
