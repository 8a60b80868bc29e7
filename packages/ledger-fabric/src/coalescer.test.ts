import { describe, expect, it } from 'vitest';
import { TrackerError } from '@hyperprov/errors';
import type { SubmitResult } from '@hyperprov/ledger';
import { canonicalJson } from '@hyperprov/chaincode/protocol';
import { SetCoalescer, coalescableKey, type BatchSubmit, type CoalescerOptions } from './coalescer.js';

const OPTIONS: CoalescerOptions = { windowMs: 5, maxRecords: 100, maxBytes: 512 * 1024, maxInFlight: 8 };

interface Call {
    fn: 'set' | 'setMany';
    raw: string;
    inputs: Record<string, unknown>[];
    release(): void;
}

/**
 * A fake contract behind the submit function: `set` records one item with id = tx id, `setMany`
 * items `<tx>.<n>`, and refuses what the real contract refuses (two items of one key, a key
 * named "bad"). Each call is held until released (or released at once with `auto`).
 */
function fakeContract(options: { auto?: boolean; fail?: (call: Call) => unknown } = {}) {
    const calls: Call[] = [];
    let tx = 0;
    const submit: BatchSubmit = (fn, input) =>
        new Promise<SubmitResult>((resolve, reject) => {
            let parsed: Record<string, unknown> | Record<string, unknown>[];
            try {
                parsed = JSON.parse(input) as Record<string, unknown> | Record<string, unknown>[];
            } catch {
                parsed = [];
            }
            const inputs = Array.isArray(parsed) ? parsed : [parsed];
            const txId = `tx${++tx}`;
            const call: Call = {
                fn,
                raw: input,
                inputs,
                release: () => {
                    const failure = options.fail?.(call);
                    if (failure) return reject(failure);
                    const keys = inputs.map((i) => i.key);
                    if (new Set(keys).size !== keys.length) return reject(new TrackerError('INVALID_ARGUMENT', 'items 0 and 1 both record key'));
                    const bad = inputs.findIndex((i) => i.key === 'bad');
                    if (bad >= 0) return reject(new TrackerError('INVALID_ARGUMENT', fn === 'set' ? 'bad key' : `item ${bad}: bad key`));
                    const records = inputs.map((i, n) => ({ ...i, id: fn === 'set' ? txId : `${txId}.${n}` }));
                    resolve({ transactionId: txId, blockNumber: 7n, result: canonicalJson(fn === 'set' ? records[0] : records) });
                },
            };
            calls.push(call);
            if (options.auto) call.release();
        });
    return { calls, submit };
}

const input = (key: string, extra: Record<string, unknown> = {}) => JSON.stringify({ key, checksum: 'sha256:x', ...extra });
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SetCoalescer', () => {
    it('sends a lone record at once as a plain set, unchanged, with its own result', async () => {
        const fake = fakeContract({ auto: true });
        const coalescer = new SetCoalescer(fake.submit, { ...OPTIONS, windowMs: 10_000 });
        const started = Date.now();
        const result = await coalescer.set(input('a'));
        expect(Date.now() - started).toBeLessThan(1000);
        expect(fake.calls.map((c) => c.fn)).toEqual(['set']);
        expect(result).toEqual({ transactionId: 'tx1', blockNumber: 7n, result: canonicalJson({ key: 'a', checksum: 'sha256:x', id: 'tx1' }) });
    });

    it('gathers a burst into one setMany; each caller gets its own record id and a set-shaped result', async () => {
        const fake = fakeContract({ auto: true });
        const coalescer = new SetCoalescer(fake.submit, OPTIONS);
        const results = await Promise.all(Array.from({ length: 64 }, (_, i) => coalescer.set(input(`k${i}`))));
        expect(fake.calls.map((c) => [c.fn, c.inputs.length])).toEqual([['setMany', 64]]);
        expect(results.map((r) => r.transactionId)).toEqual(Array.from({ length: 64 }, (_, i) => `tx1.${i}`));
        for (const [i, r] of results.entries()) {
            expect(r.result).toBe(canonicalJson({ key: `k${i}`, checksum: 'sha256:x', id: `tx1.${i}` }));
            expect(JSON.parse(r.result).id).toBe(r.transactionId);
        }
    });

    it('caps a batch by records and by bytes, sending a full batch without waiting', async () => {
        const fake = fakeContract({ auto: true });
        const coalescer = new SetCoalescer(fake.submit, { ...OPTIONS, maxRecords: 10, windowMs: 10_000 });
        await Promise.all(Array.from({ length: 25 }, (_, i) => coalescer.set(input(`k${i}`))));
        expect(fake.calls.map((c) => c.inputs.length)).toEqual([10, 10, 5]);
        const bytes = fakeContract({ auto: true });
        const small = new SetCoalescer(bytes.submit, { ...OPTIONS, maxBytes: 3 * input('k00').length });
        await Promise.all(Array.from({ length: 7 }, (_, i) => small.set(input(`k${i}0`))));
        expect(bytes.calls.map((c) => c.inputs.length)).toEqual([3, 3, 1]);
        expect(bytes.calls.map((c) => c.fn)).toEqual(['setMany', 'setMany', 'set']);
    });

    it('waits the window for company while a batch is in flight, and no longer', async () => {
        const fake = fakeContract();
        const coalescer = new SetCoalescer(fake.submit, { ...OPTIONS, windowMs: 30 });
        const first = coalescer.set(input('a'));
        await tick();
        expect(fake.calls).toHaveLength(1);
        const later = [coalescer.set(input('b')), coalescer.set(input('c'))];
        await tick();
        expect(fake.calls).toHaveLength(1);
        await new Promise((resolve) => setTimeout(resolve, 60));
        expect(fake.calls.map((c) => c.inputs.map((i) => i.key))).toEqual([['a'], ['b', 'c']]);
        for (const call of fake.calls) call.release();
        await Promise.all([first, ...later]);
    });

    it('never puts two records of one key in a batch, and sends a key\'s versions in call order', async () => {
        const fake = fakeContract();
        const coalescer = new SetCoalescer(fake.submit, OPTIONS);
        const pending = [coalescer.set(input('a', { v: 1 })), coalescer.set(input('b')), coalescer.set(input('a', { v: 2 })), coalescer.set(input('c'))];
        await tick();
        // The second version of a waits until the batch holding the first has committed.
        expect(fake.calls.map((c) => c.inputs.map((i) => i.key))).toEqual([['a', 'b', 'c']]);
        fake.calls[0]?.release();
        await tick();
        await tick();
        expect(fake.calls.map((c) => c.fn)).toEqual(['setMany', 'set']);
        expect(fake.calls[1]?.inputs[0]).toMatchObject({ key: 'a', v: 2 });
        fake.calls[1]?.release();
        const results = await Promise.all(pending);
        expect(results.map((r) => r.transactionId)).toEqual(['tx1.0', 'tx1.1', 'tx2', 'tx1.2']);
    });

    it('compares keys in their stored (NFC) form', () => {
        expect(coalescableKey(input('caf\u0065\u0301'))).toBe(coalescableKey(input('caf\u00e9')));
    });

    it('sends alone what must not join a batch: not JSON, no string key, $n references', async () => {
        const fake = fakeContract({ auto: true });
        const coalescer = new SetCoalescer(fake.submit, OPTIONS);
        const odd = ['{not json', '[]', JSON.stringify({ key: 1 }), input('d', { dependencies: ['$0'] })];
        await Promise.allSettled([...odd.map((o) => coalescer.set(o)), coalescer.set(input('x')), coalescer.set(input('y'))]);
        expect(fake.calls.filter((c) => c.fn === 'set').map((c) => c.raw)).toEqual(odd);
        expect(fake.calls.filter((c) => c.fn === 'setMany').map((c) => c.inputs.map((i) => i.key))).toEqual([['x', 'y']]);
        expect(coalescableKey('{not json')).toBeUndefined();
        expect(coalescableKey(input('d', { dependencies: ['$0'] }))).toBeUndefined();
        expect(coalescableKey(input('d', { dependencies: ['abc'] }))).toBe('d');
    });

    it('falls back to one set per record when a batch fails validation, so only the bad one fails', async () => {
        const fake = fakeContract({ auto: true });
        const coalescer = new SetCoalescer(fake.submit, OPTIONS);
        const outcomes = await Promise.allSettled([coalescer.set(input('a')), coalescer.set(input('bad')), coalescer.set(input('c'))]);
        expect(fake.calls.map((c) => c.fn)).toEqual(['setMany', 'set', 'set', 'set']);
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'bad key' });
        expect((outcomes[0] as PromiseFulfilledResult<SubmitResult>).value.transactionId).toBe('tx2');
    });

    it('never resends a batch whose outcome is unknown: each caller gets the error with its own record id', async () => {
        const unknown = new TrackerError('TIMEOUT', 'not confirmed: check with `hyperprov show txU` before recording it again.', { transactionId: 'txU' });
        const fake = fakeContract({ auto: true, fail: () => unknown });
        const coalescer = new SetCoalescer(fake.submit, OPTIONS);
        const outcomes = await Promise.allSettled([coalescer.set(input('a')), coalescer.set(input('b'))]);
        expect(fake.calls).toHaveLength(1);
        const reasons = outcomes.map((o) => (o as PromiseRejectedResult).reason as TrackerError);
        expect(reasons.map((r) => [r.code, r.transactionId])).toEqual([
            ['TIMEOUT', 'txU.0'],
            ['TIMEOUT', 'txU.1'],
        ]);
        expect(reasons[1]?.message).toContain('hyperprov show txU.1`');
    });

    it('fails every caller with a network error without resending', async () => {
        const down = new TrackerError('LEDGER_UNAVAILABLE', 'cannot reach the peer');
        const fake = fakeContract({ auto: true, fail: () => down });
        const coalescer = new SetCoalescer(fake.submit, OPTIONS);
        const outcomes = await Promise.allSettled([coalescer.set(input('a')), coalescer.set(input('b'))]);
        expect(fake.calls).toHaveLength(1);
        expect(outcomes.map((o) => (o as PromiseRejectedResult).reason)).toEqual([down, down]);
    });

    it('takes an aborted record out of its batch before it is sent', async () => {
        const fake = fakeContract({ auto: true });
        const coalescer = new SetCoalescer(fake.submit, OPTIONS);
        const controller = new AbortController();
        const gone = coalescer.set(input('a'), controller.signal);
        const kept = coalescer.set(input('b'));
        controller.abort();
        await expect(gone).rejects.toMatchObject({ code: 'ABORTED' });
        await kept;
        expect(fake.calls.map((c) => [c.fn, c.inputs.map((i) => i.key)])).toEqual([['set', ['b']]]);
    });

    it('keeps at most maxInFlight batches in flight; records meanwhile make larger batches', async () => {
        const fake = fakeContract();
        const coalescer = new SetCoalescer(fake.submit, { ...OPTIONS, maxInFlight: 1, windowMs: 1 });
        const first = coalescer.set(input('a'));
        await tick();
        const rest = Array.from({ length: 5 }, (_, i) => coalescer.set(input(`k${i}`)));
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(fake.calls).toHaveLength(1);
        fake.calls[0]?.release();
        await tick();
        await tick();
        expect(fake.calls.map((c) => c.inputs.length)).toEqual([1, 5]);
        fake.calls[1]?.release();
        await Promise.all([first, ...rest]);
        expect(coalescer.inFlight).toBe(0);
    });
});
