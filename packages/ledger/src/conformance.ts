/**
 * The Ledger conformance suite: what every ledger backend must do for HyperProv, written against
 * the Ledger interface and the provenance contract's transactions only, so the embedded ledger and
 * the Fabric backend run the very same checks. Call it from a `*.test.ts` file:
 *
 *   describeLedgerConformance('embedded', async () => ({ ledger, cleanup }));
 *
 * `open` is called once for the shared ledger and again by tests that need a ledger of their own
 * (close semantics); each call must return an independent, usable Ledger. Tests use keys under a
 * random prefix, so a backend may keep state between runs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LineageGraph, Page, ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { TrackerError, type TrackerErrorCode } from '@hyperprov/errors';
import type { Ledger, LedgerEvent } from './ledger.js';

/** Opens a ledger for the suite; `cleanup` closes it and removes what `open` created. */
export type OpenLedger = () => Promise<{ ledger: Ledger; cleanup(): Promise<void> }>;

/** Options of {@link describeLedgerConformance}. */
export interface LedgerConformanceOptions {
    /** Per-test timeout in ms; default 60 000 (Fabric commits take seconds). */
    timeout?: number;
}

// The suite checks the contract's own result types, so a schema change reaches it at compile time.
type TestRecord = ProvenanceRecord;
type TestPage = Page<ProvenanceRecord>;
type TestGraph = LineageGraph;

const RECORDED_EVENT = 'hyperprov.recorded';

function input(key: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const bytes = randomBytes(16);
    const checksum = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    return {
        key,
        checksum,
        size: bytes.length,
        location: 'file:///var/hyperprov/store',
        pointer: `sha256/${checksum.slice(7, 9)}/${checksum.slice(9)}`,
        ...extra,
    };
}

async function codeOf(promise: Promise<unknown>): Promise<TrackerErrorCode | 'RESOLVED' | 'NOT_A_TRACKER_ERROR'> {
    try {
        await promise;
        return 'RESOLVED';
    } catch (error) {
        return error instanceof TrackerError ? error.code : 'NOT_A_TRACKER_ERROR';
    }
}

async function nextEvent(iterator: AsyncIterator<LedgerEvent>, timeoutMs: number): Promise<LedgerEvent> {
    let timer: NodeJS.Timeout | undefined;
    try {
        const result = await Promise.race([
            iterator.next(),
            new Promise<never>((_, reject) => {
                timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
            }),
        ]);
        if (result.done) throw new Error('event stream ended');
        return result.value;
    } finally {
        clearTimeout(timer);
    }
}

/** Registers the conformance tests for one backend. */
export function describeLedgerConformance(name: string, open: OpenLedger, options: LedgerConformanceOptions = {}): void {
    const timeout = options.timeout ?? 60_000;

    describe(`Ledger conformance: ${name}`, () => {
        let ledger: Ledger;
        let cleanup: (() => Promise<void>) | undefined;
        const run = `conformance/${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

        const set = async (key: string, extra: Record<string, unknown> = {}) => {
            const result = await ledger.submit('set', [JSON.stringify(input(key, extra))]);
            return { ...result, record: JSON.parse(result.result) as TestRecord };
        };
        const evaluate = async <T>(fn: string, args: string[]): Promise<T> => JSON.parse(await ledger.evaluate(fn, args)) as T;
        const height = async () => (await ledger.info()).height;

        beforeAll(async () => {
            const opened = await open();
            ledger = opened.ledger;
            cleanup = opened.cleanup;
        }, timeout * 2);

        afterAll(async () => {
            await cleanup?.();
        }, timeout);

        it('set records a record whose id is the transaction id; get and getFromId return it', async () => {
            const before = await height();
            const { record, transactionId, blockNumber } = await set(`${run}/set/a`, { meta: { epoch: 1 } });
            expect(record.id).toBe(transactionId);
            expect(record.key).toBe(`${run}/set/a`);
            expect(record.meta).toEqual({ epoch: 1 });
            expect(record.creator.mspId).toMatch(/\S/);
            expect(record.creator.id).toMatch(/^x509::/);
            expect(Number.isNaN(Date.parse(record.timestamp))).toBe(false);
            expect(blockNumber).toBeGreaterThanOrEqual(before);
            expect(await height()).toBeGreaterThan(blockNumber);
            expect(await evaluate<TestRecord>('get', [record.key])).toEqual(record);
            expect(await evaluate<TestRecord>('getFromId', [record.id])).toEqual(record);
        }, timeout);

        it('setMany records a batch in one transaction with ids <txId>.<n> and resolves $n dependencies', async () => {
            const result = await ledger.submit('setMany', [
                JSON.stringify([input(`${run}/batch/0`), input(`${run}/batch/1`, { dependencies: ['$0'], type: 'transformation' })]),
            ]);
            const records = JSON.parse(result.result) as TestRecord[];
            expect(records.map((r) => r.id)).toEqual([`${result.transactionId}.0`, `${result.transactionId}.1`]);
            expect(records[1]?.dependencies).toEqual([`${result.transactionId}.0`]);
            expect((await evaluate<TestRecord>('getFromId', [`${result.transactionId}.1`])).key).toBe(`${run}/batch/1`);
            expect((await evaluate<TestRecord>('get', [`${run}/batch/0`])).id).toBe(`${result.transactionId}.0`);
        }, timeout);

        it('keeps a runs index: getRuns lists a summary per run, getRun its records oldest first, batches folded in', async () => {
            const id = `${run}/run-a`;
            const first = await set(`${run}/runs/model`, { meta: { run: id, epoch: 0, metrics: { loss: 0.9 } } });
            // Two epochs of the same run in one transaction: the summary must count both.
            const batch = await ledger.submit('setMany', [
                JSON.stringify([
                    input(`${run}/runs/model-b`, { meta: { run: id, epoch: 1, metrics: { loss: 0.7 } } }),
                    input(`${run}/runs/model`, { meta: { run: id, epoch: 2, metrics: { loss: 0.5 } }, dependencies: ['$0'], type: 'transformation' }),
                ]),
            ]);
            await set(`${run}/runs/other`, { meta: { run: `${run}/run-b`, epoch: 7 } });
            await set(`${run}/runs/plain`, { meta: { epoch: 3 } });
            const details = await evaluate<{ summary: Record<string, unknown>; records: { items: TestRecord[]; bookmark: string } }>('getRun', [id, '2', '']);
            expect(details.summary).toMatchObject({
                run: id,
                keys: [`${run}/runs/model`, `${run}/runs/model-b`],
                epochs: 3,
                first: first.record.timestamp,
                lastRecordId: `${batch.transactionId}.1`,
                lastEpoch: 2,
                lastMetrics: { loss: 0.5 },
            });
            expect(details.records.items.map((r) => r.meta.epoch)).toEqual([0, 1]);
            expect(details.records.bookmark).not.toBe('');
            const rest = await evaluate<{ records: { items: TestRecord[]; bookmark: string } }>('getRun', [id, '2', details.records.bookmark]);
            expect(rest.records.items.map((r) => r.id)).toEqual([`${batch.transactionId}.1`]);
            expect(rest.records.bookmark).toBe('');
            const runs: string[] = [];
            let bookmark = '';
            do {
                const page = await evaluate<{ items: { run: string; epochs: number }[]; bookmark: string }>('getRuns', ['100', bookmark]);
                runs.push(...page.items.map((r) => r.run));
                bookmark = page.bookmark;
            } while (bookmark !== '');
            expect(runs).toContain(id);
            expect(runs).toContain(`${run}/run-b`);
            expect(await codeOf(ledger.evaluate('getRun', [`${run}/no-such-run`, '10', '']))).toBe('NOT_FOUND');
            expect(await codeOf(ledger.submit('set', [JSON.stringify(input(`${run}/runs/bad`, { meta: { run: 7 } }))]))).toBe('INVALID_ARGUMENT');
        }, timeout);

        it('rejects an unknown dependency with DEPENDENCY_NOT_FOUND and commits nothing', async () => {
            const before = await height();
            const missing = 'f'.repeat(64);
            expect(await codeOf(ledger.submit('set', [JSON.stringify(input(`${run}/dep/x`, { dependencies: [missing] }))]))).toBe('DEPENDENCY_NOT_FOUND');
            expect(
                await codeOf(ledger.submit('setMany', [JSON.stringify([input(`${run}/dep/y`), input(`${run}/dep/z`, { dependencies: [missing] })])])),
            ).toBe('DEPENDENCY_NOT_FOUND');
            expect(await height()).toBe(before);
            expect(await codeOf(ledger.evaluate('get', [`${run}/dep/x`]))).toBe('NOT_FOUND');
            expect(await codeOf(ledger.evaluate('get', [`${run}/dep/y`]))).toBe('NOT_FOUND');
        }, timeout);

        it('rejects invalid input with INVALID_ARGUMENT and commits nothing', async () => {
            const before = await height();
            const bad: [string, string[]][] = [
                ['set', [JSON.stringify(input(`${run}/bad/checksum`, { checksum: 'md5:abc' }))]],
                ['set', [JSON.stringify(input(`${run}/bad/../escape`))]],
                ['set', [JSON.stringify(input(`${run}/bad/nul\u0000key`))]],
                ['set', [JSON.stringify(input(`${run}/bad/meta`, { meta: { blob: 'x'.repeat(1024 * 1024) } }))]],
                ['set', ['{not json']],
                ['set', [JSON.stringify(input(`${run}/bad/size`, { size: -1 }))]],
                ['setMany', [JSON.stringify([])]],
            ];
            for (const [fn, args] of bad) {
                expect(await codeOf(ledger.submit(fn, args)), `${fn} ${args[0]?.slice(0, 80)}`).toBe('INVALID_ARGUMENT');
            }
            expect(await height()).toBe(before);
            expect(await codeOf(ledger.evaluate('get', [`${run}/bad/checksum`]))).toBe('NOT_FOUND');
        }, timeout);

        it('returns NOT_FOUND for unknown keys and ids', async () => {
            expect(await codeOf(ledger.evaluate('get', [`${run}/nothing`]))).toBe('NOT_FOUND');
            expect(await codeOf(ledger.evaluate('getFromId', ['0'.repeat(64)]))).toBe('NOT_FOUND');
        }, timeout);

        it('lists a key history newest first, page by page', async () => {
            const key = `${run}/history/k`;
            const ids: string[] = [];
            for (let version = 0; version < 3; version++) ids.push((await set(key, { meta: { version } })).record.id);
            const first = await evaluate<TestPage>('getKeyHistory', [key, '2', '']);
            expect(first.items.map((r) => r.id)).toEqual([ids[2], ids[1]]);
            expect(first.bookmark).not.toBe('');
            const second = await evaluate<TestPage>('getKeyHistory', [key, '2', first.bookmark]);
            expect(second.items.map((r) => r.id)).toEqual([ids[0]]);
            expect(second.bookmark).toBe('');
            expect(second.items[0]?.meta).toEqual({ version: 0 });
        }, timeout);

        it('pages through a key range in key order, each key once, with an empty last bookmark', async () => {
            const keys = ['k0', 'k1', 'k2', 'k3', 'k4'].map((k) => `${run}/range/${k}`);
            await ledger.submit('setMany', [JSON.stringify(keys.map((k) => input(k)).reverse())]);
            // Keys of other tests must not leak in: the end key is exclusive.
            await set(`${run}/range0`);
            const seen: string[] = [];
            let bookmark = '';
            let pages = 0;
            do {
                const page = await evaluate<TestPage>('getByRange', [`${run}/range/`, `${run}/range0`, '2', bookmark]);
                expect(page.items.length).toBeLessThanOrEqual(2);
                seen.push(...page.items.map((r) => r.key));
                bookmark = page.bookmark;
                pages += 1;
            } while (bookmark !== '' && pages < 10);
            expect(seen).toEqual(keys);
            expect(pages).toBe(3);
        }, timeout);

        it('answers lineage up (getDependencies) and down (getDependents) with full records', async () => {
            const a = (await set(`${run}/lineage/a`)).record;
            const b = (await set(`${run}/lineage/b`, { dependencies: [a.id], type: 'transformation' })).record;
            const c = (await set(`${run}/lineage/c`, { dependencies: [b.id, a.id], type: 'transformation' })).record;
            const up = await evaluate<TestGraph>('getDependencies', [c.id, '']);
            expect(up.root).toBe(c.id);
            expect(Object.keys(up.records).sort()).toEqual([a.id, b.id, c.id].sort());
            expect(up.records[a.id]).toEqual(a);
            expect([...(up.edges[c.id] ?? [])].sort()).toEqual([a.id, b.id].sort());
            expect(up.edges[b.id]).toEqual([a.id]);
            const down = await evaluate<TestGraph>('getDependents', [a.id, '']);
            expect(Object.keys(down.records).sort()).toEqual([a.id, b.id, c.id].sort());
            expect(down.records[c.id]).toEqual(c);
            const shallow = await evaluate<TestGraph>('getDependencies', [c.id, '1']);
            expect(shallow.truncated.length).toBeGreaterThan(0);
        }, timeout);

        it('replays committed events from a block and then follows live ones', async () => {
            const first = await set(`${run}/events/a`);
            const replay = ledger.events({ startBlock: first.blockNumber })[Symbol.asyncIterator]();
            try {
                const replayed = await nextEvent(replay, timeout / 2);
                expect(replayed.transactionId).toBe(first.transactionId);
                expect(replayed.blockNumber).toBe(first.blockNumber);
                expect(replayed.eventName).toBe(RECORDED_EVENT);
                expect(JSON.parse(replayed.payload)).toEqual({ ids: [first.transactionId], keys: [`${run}/events/a`] });
                const second = await set(`${run}/events/b`);
                let live = await nextEvent(replay, timeout / 2);
                // Other writers may commit in between; skip to ours.
                while (live.transactionId !== second.transactionId) live = await nextEvent(replay, timeout / 2);
                expect(live.blockNumber).toBe(second.blockNumber);
            } finally {
                await replay.return?.();
            }
            const fresh = ledger.events()[Symbol.asyncIterator]();
            try {
                const pending = nextEvent(fresh, timeout / 2);
                // Give the subscription a moment to start before committing.
                await new Promise((resolve) => setTimeout(resolve, 50));
                const third = await set(`${run}/events/c`);
                let live = await pending;
                while (live.transactionId !== third.transactionId) live = await nextEvent(fresh, timeout / 2);
                expect(JSON.parse(live.payload).keys).toEqual([`${run}/events/c`]);
            } finally {
                await fresh.return?.();
            }
        }, timeout);

        it('stops an event stream when its signal aborts', async () => {
            const controller = new AbortController();
            const stream = ledger.events({ signal: controller.signal })[Symbol.asyncIterator]();
            const next = stream.next();
            setTimeout(() => controller.abort(), 20);
            const outcome = await Promise.race([
                next.then(
                    (r) => (r.done ? 'ended' : 'event'),
                    () => 'rejected',
                ),
                new Promise((resolve) => setTimeout(() => resolve('hung'), timeout / 2)),
            ]);
            expect(['ended', 'rejected']).toContain(outcome);
        }, timeout);

        it('never writes from evaluate', async () => {
            const before = await height();
            const key = `${run}/evaluate/x`;
            await ledger.evaluate('set', [JSON.stringify(input(key))]).catch(() => undefined);
            expect(await height()).toBe(before);
            expect(await codeOf(ledger.evaluate('get', [key]))).toBe('NOT_FOUND');
        }, timeout);

        it('commits 50 concurrent submits, each exactly once', async () => {
            const keys = Array.from({ length: 50 }, (_, i) => `${run}/concurrent/${String(i).padStart(2, '0')}`);
            const results = await Promise.all(keys.map((key) => set(key)));
            expect(new Set(results.map((r) => r.transactionId)).size).toBe(50);
            const page = await evaluate<TestPage>('getByRange', [`${run}/concurrent/`, `${run}/concurrent0`, '100', '']);
            expect(page.items.map((r) => r.key)).toEqual(keys);
            for (const [i, result] of results.entries()) {
                expect(page.items[i]?.id).toBe(result.transactionId);
                const history = await evaluate<TestPage>('getKeyHistory', [keys[i] as string, '10', '']);
                expect(history.items).toHaveLength(1);
            }
        }, timeout);

        it('close waits for in-flight submits, is idempotent, and later calls are rejected', async () => {
            const own = await open();
            try {
                const inFlight = own.ledger.submit('set', [JSON.stringify(input(`${run}/close/a`))]);
                const closing = own.ledger.close();
                const committed = await inFlight;
                expect(committed.transactionId).toMatch(/\S/);
                await closing;
                await own.ledger.close();
                expect(await codeOf(own.ledger.submit('set', [JSON.stringify(input(`${run}/close/b`))]))).toBe('LEDGER_UNAVAILABLE');
                expect(await codeOf(own.ledger.evaluate('get', [`${run}/close/a`]))).toBe('LEDGER_UNAVAILABLE');
            } finally {
                await own.cleanup();
            }
        }, timeout);
    });
}
