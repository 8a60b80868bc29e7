import { describe, expect, it } from 'vitest';
import type { Page, ProvenanceRecord, RecordInput } from '@hyperprov/chaincode/protocol';
import { TrackerError, isTrackerError } from '@hyperprov/errors';
import type { Ledger, SubmitResult } from '@hyperprov/ledger';
import { createProvenanceClient } from './provenance-client.js';

/** A Ledger that records the calls and answers from a script: isolates the client's own logic. */
function scriptedLedger(answer: (fn: string, args: readonly string[]) => string) {
    const calls: { kind: 'submit' | 'evaluate'; fn: string; args: readonly string[] }[] = [];
    const ledger: Ledger = {
        async submit(fn, args): Promise<SubmitResult> {
            calls.push({ kind: 'submit', fn, args });
            return { transactionId: 'tx1', blockNumber: 7n, result: answer(fn, args) };
        },
        async evaluate(fn, args) {
            calls.push({ kind: 'evaluate', fn, args });
            return answer(fn, args);
        },
        events: () => (async function* () {})(),
        info: async () => ({ backend: 'embedded', height: 1n }),
        close: async () => undefined,
        [Symbol.asyncDispose]: async () => undefined,
    };
    return { ledger, calls };
}

const CHECKSUM = `sha256:${'ab'.repeat(32)}`;
const input: RecordInput = { key: 'models/m', checksum: CHECKSUM, size: 3, location: 'file:///s', pointer: 'p' };
const record = (id: string, key = 'k'): ProvenanceRecord => ({
    schema: 1,
    id,
    key,
    checksum: CHECKSUM,
    size: 3,
    location: 'file:///s',
    pointer: 'p',
    creator: { mspId: 'LocalMSP', id: 'x509::CN=a::CN=ca' },
    timestamp: '2026-01-01T00:00:00.000Z',
    type: 'record',
    meta: {},
    dependencies: [],
});

describe('ProvenanceClient', () => {
    it('submits set with the normalised input and parses the record', async () => {
        const { ledger, calls } = scriptedLedger(() => JSON.stringify(record('tx1', 'models/m')));
        const client = createProvenanceClient(ledger);
        const committed = await client.set(input);
        expect(committed).toMatchObject({ transactionId: 'tx1', blockNumber: 7n, value: { id: 'tx1', key: 'models/m' } });
        expect(calls).toHaveLength(1);
        expect(calls[0]!.fn).toBe('set');
        expect(JSON.parse(calls[0]!.args[0]!)).toEqual({ ...input, type: 'record', meta: {}, dependencies: [] });
    });

    it.each([
        ['a malformed checksum', { ...input, checksum: 'md5:abc' }, /checksum/],
        ['a NUL in the key', { ...input, key: 'a\u0000b' }, /NUL or control/],
        ['a .. segment', { ...input, key: 'a/../b' }, /'\.\.' segment/],
        ['oversize meta', { ...input, meta: { blob: 'x'.repeat(1 << 20) } }, /meta is \d+ bytes; the limit is 65536/],
        ['a transformation without dependencies', { ...input, type: 'transformation' as const }, /transformation/],
    ])('rejects %s before any transaction', async (_name, bad, message) => {
        const { ledger, calls } = scriptedLedger(() => '{}');
        const client = createProvenanceClient(ledger);
        const error = await client.set(bad).catch((e: unknown) => e);
        expect(isTrackerError(error, 'INVALID_ARGUMENT')).toBe(true);
        expect((error as Error).message).toMatch(message);
        expect((error as Error).message).not.toMatch(/^\[/);
        expect(calls).toHaveLength(0);
    });

    it('refuses the same key twice in one setMany before submitting', async () => {
        const { ledger, calls } = scriptedLedger(() => '[]');
        const client = createProvenanceClient(ledger);
        await expect(client.setMany([input, { ...input }])).rejects.toThrow(/appears twice/);
        expect(calls).toHaveLength(0);
    });

    it('passes $n batch references through setMany', async () => {
        const { ledger, calls } = scriptedLedger(() => JSON.stringify([record('tx1.0'), record('tx1.1')]));
        const client = createProvenanceClient(ledger);
        const committed = await client.setMany([input, { ...input, key: 'models/n', dependencies: ['$0'] }]);
        expect(committed.value.map((r) => r.id)).toEqual(['tx1.0', 'tx1.1']);
        expect(JSON.parse(calls[0]!.args[0]!)[1].dependencies).toEqual(['$0']);
    });

    it('builds paged query arguments and validates page sizes', async () => {
        const { ledger, calls } = scriptedLedger(() => JSON.stringify({ items: [], bookmark: '' }));
        const client = createProvenanceClient(ledger);
        await client.range('a', 'b', { pageSize: 2, bookmark: 'bm' });
        await client.history('k');
        expect(calls.map((c) => [c.fn, ...c.args])).toEqual([
            ['getByRange', 'a', 'b', '2', 'bm'],
            ['getKeyHistory', 'k', '100', ''],
        ]);
        await expect(client.range('a', 'b', { pageSize: 0 })).rejects.toThrow(/page size 0/);
        await expect(client.range('a', 'b', { pageSize: 1001 })).rejects.toThrow(/page size 1001/);
    });

    it('iterates every page of a range until the bookmark is empty', async () => {
        const pages: Record<string, Page<ProvenanceRecord>> = {
            '': { items: [record('1', 'a'), record('2', 'b')], bookmark: 'c' },
            c: { items: [record('3', 'c'), record('4', 'd')], bookmark: 'e' },
            e: { items: [record('5', 'e')], bookmark: '' },
        };
        const { ledger, calls } = scriptedLedger((_fn, args) => JSON.stringify(pages[args[3]!]));
        const client = createProvenanceClient(ledger);
        const keys: string[] = [];
        for await (const r of client.rangeAll('', '', { pageSize: 2 })) keys.push(r.key);
        expect(keys).toEqual(['a', 'b', 'c', 'd', 'e']);
        expect(calls).toHaveLength(3);
    });

    it('stops when a backend returns the same bookmark again', async () => {
        const { ledger, calls } = scriptedLedger(() => JSON.stringify({ items: [record('1')], bookmark: 'same' }));
        const keys: string[] = [];
        for await (const r of createProvenanceClient(ledger).historyAll('k')) keys.push(r.id);
        expect(calls.length).toBe(2);
        expect(keys).toEqual(['1', '1']);
    });

    it('passes lineage depth as a string, empty for unlimited', async () => {
        const { ledger, calls } = scriptedLedger(() => JSON.stringify({ root: 'x', records: {}, edges: {}, truncated: [] }));
        const client = createProvenanceClient(ledger);
        await client.dependencies('x');
        await client.dependents('x', { depth: 3 });
        expect(calls.map((c) => [c.fn, ...c.args])).toEqual([
            ['getDependencies', 'x', ''],
            ['getDependents', 'x', '3'],
        ]);
        await expect(client.dependencies('x', { depth: -1 })).rejects.toThrow(/depth -1/);
    });

    it('reports a non-JSON result as INTERNAL', async () => {
        const { ledger } = scriptedLedger(() => 'not json');
        await expect(createProvenanceClient(ledger).get('k')).rejects.toSatisfy(
            (e) => e instanceof TrackerError && e.code === 'INTERNAL' && /not JSON/.test(e.message),
        );
    });
});
