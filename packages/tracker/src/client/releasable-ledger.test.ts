import { describe, expect, it } from 'vitest';
import { isTrackerError } from '@hyperprov/errors';
import type { Ledger } from '@hyperprov/ledger';
import { createReleasableLedger } from './releasable-ledger.js';

/** Counts opens and closes; evaluate waits for `gate` so calls can be held in flight. */
function backend() {
    const stats = { opens: 0, closes: 0, open: 0 };
    let release: () => void = () => undefined;
    let gate = Promise.resolve();
    const open = async (): Promise<Ledger> => {
        stats.opens++;
        stats.open++;
        let closed = false;
        return {
            submit: async () => ({ transactionId: 't', blockNumber: 1n, result: '{}' }),
            evaluate: async () => {
                await gate;
                return 'ok';
            },
            events: () => (async function* () {})(),
            info: async () => ({ backend: 'embedded', height: 1n }),
            close: async () => {
                if (!closed) {
                    closed = true;
                    stats.closes++;
                    stats.open--;
                }
            },
            [Symbol.asyncDispose]: async () => undefined,
        };
    };
    return {
        stats,
        open,
        hold: () => {
            gate = new Promise((resolve) => (release = resolve));
        },
        let: () => release(),
    };
}

describe('ReleasableLedger', () => {
    it('opens on first use and once for concurrent calls', async () => {
        const b = backend();
        const ledger = createReleasableLedger(b.open);
        expect(b.stats.opens).toBe(0);
        await Promise.all([ledger.evaluate('get', []), ledger.info(), ledger.submit('set', [])]);
        expect(b.stats.opens).toBe(1);
    });

    it('release waits for in-flight calls, closes, and the next call reopens', async () => {
        const b = backend();
        const ledger = createReleasableLedger(b.open);
        b.hold();
        const pending = ledger.evaluate('get', []);
        await new Promise((resolve) => setTimeout(resolve, 5));
        let released = false;
        const releasing = ledger.release().then(() => (released = true));
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(released).toBe(false);
        expect(b.stats.open).toBe(1);
        b.let();
        expect(await pending).toBe('ok');
        await releasing;
        expect(b.stats).toMatchObject({ opens: 1, closes: 1, open: 0 });
        await ledger.info();
        expect(b.stats).toMatchObject({ opens: 2, open: 1 });
    });

    it('retries a failed open and refuses calls after close', async () => {
        const b = backend();
        let fail = true;
        const ledger = createReleasableLedger(async () => {
            if (fail) throw new Error('locked');
            return b.open();
        });
        await expect(ledger.info()).rejects.toThrow('locked');
        fail = false;
        await expect(ledger.info()).resolves.toMatchObject({ height: 1n });
        await ledger.close();
        await ledger.close();
        expect(b.stats.open).toBe(0);
        await expect(ledger.info()).rejects.toSatisfy((e) => isTrackerError(e, 'LEDGER_UNAVAILABLE'));
    });
});
