import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';
import { LIMITS, RECORDED_EVENT, type ProvenanceRecord } from './record';
import { INDEX, INDEX_VALUE } from './state-layout';
import { FakeLedger } from './testing/fake-ledger';
import { SHA_A, SHA_B, expectError, harness, input } from './testing/fixtures';

const ALICE = 'x509::/CN=alice::/CN=ca.org1';
const BOB = 'x509::/CN=bob::/CN=ca.org2';

describe('set', () => {
    it('stores the record with id, creator and timestamp taken from the transaction', async () => {
        const h = harness();
        const when = new Date('2026-03-04T05:06:07.089Z');
        const record = await h.set(input('models/resnet', { meta: { epoch: 3, b: [1, { z: 1, a: 2 }] } }), {
            txId: 'a1b2',
            timestamp: when,
            mspId: 'Org2MSP',
            id: BOB,
        });
        expect(record).toEqual({
            schema: 1,
            id: 'a1b2',
            key: 'models/resnet',
            checksum: SHA_A,
            size: 10,
            location: 'file:///store',
            pointer: 'obj/models/resnet',
            creator: { mspId: 'Org2MSP', id: BOB },
            timestamp: '2026-03-04T05:06:07.089Z',
            type: 'record',
            meta: { epoch: 3, b: [1, { z: 1, a: 2 }] },
            dependencies: [],
        });
        expect(await h.get('models/resnet')).toEqual(record);
        expect(await h.getFromId('a1b2')).toEqual(record);
    });

    it('stores canonical JSON under the key, the record id and the indexes', async () => {
        const h = harness();
        const a = await h.set(input('data/a'), { txId: 'ta' });
        const b = await h.set(input('data/b', { checksum: SHA_B, type: 'transformation', dependencies: [a.id] }), { txId: 'tb' });
        const state = h.ledger.state;
        const json = canonicalJson(b);
        expect(state.get('data/b')?.toString()).toBe(json);
        expect(state.get(FakeLedger.compositeKey(INDEX.record, ['tb']))?.toString()).toBe(json);
        expect(state.get(FakeLedger.compositeKey(INDEX.dependent, ['ta', 'tb']))?.toString()).toBe(INDEX_VALUE);
        expect(state.get(FakeLedger.compositeKey(INDEX.creator, [ALICE, b.timestamp, 'tb']))?.toString()).toBe(INDEX_VALUE);
        expect(state.get(FakeLedger.compositeKey(INDEX.checksum, ['b'.repeat(64), 'tb']))?.toString()).toBe(INDEX_VALUE);
        // Nothing else: 2 keys + 2 records + 1 dependent + 2 creator + 2 checksum entries.
        expect(state.size).toBe(9);
    });

    it('emits exactly one recorded event per write', async () => {
        const h = harness();
        await h.set(input('k1'), { txId: 't1' });
        const [tx] = h.ledger.committed;
        expect(tx?.events).toEqual([{ name: RECORDED_EVENT, payload: '{"ids":["t1"],"keys":["k1"]}' }]);
    });

    it.each([
        ['id', 'forged'],
        ['creator', { mspId: 'EvilMSP', id: 'x509::/CN=mallory' }],
        ['timestamp', '1999-01-01T00:00:00.000Z'],
        ['schema', 1],
        ['extra', true],
    ])('rejects the field %s instead of trusting it, and records nothing', async (field, value) => {
        const h = harness();
        await expectError(h.set({ ...input('k'), [field]: value }), 'INVALID_ARGUMENT', new RegExp(`unknown field '${field}'`));
        expect(h.ledger.state.size).toBe(0);
        expect(h.ledger.committed).toHaveLength(0);
    });

    it('rejects invalid JSON and non-object input', async () => {
        const h = harness();
        await expectError(h.set('{"key":'), 'INVALID_ARGUMENT', /input is not valid JSON/);
        await expectError(h.set(''), 'INVALID_ARGUMENT', /input is empty/);
        await expectError(h.set('[1]'), 'INVALID_ARGUMENT', /must be a JSON object/);
        await expectError(h.set('null'), 'INVALID_ARGUMENT', /must be a JSON object/);
    });

    it('rejects a dependency that is not on the ledger, naming it', async () => {
        const h = harness();
        await expectError(h.set(input('k', { dependencies: ['nope123'] })), 'DEPENDENCY_NOT_FOUND', /'nope123'.*record it first/);
        expect(h.ledger.state.size).toBe(0);
    });

    it('rejects batch references outside setMany', async () => {
        const h = harness();
        await expectError(h.set(input('k', { dependencies: ['$0'] })), 'INVALID_ARGUMENT', /only names an earlier item of the same batch/);
    });

    it('rejects meta over the limit with a message that says what to do', async () => {
        const h = harness();
        const meta = { blob: 'x'.repeat(1024 * 1024) };
        await expectError(
            h.set(input('k', { meta })),
            'INVALID_ARGUMENT',
            /meta is 1048587 bytes; the limit is 65536 — store large metadata as a file and record it as a dependency/,
        );
    });

    it('refuses to overwrite records when a transaction id is reused', async () => {
        const h = harness();
        await h.set(input('k'), { txId: 'same' });
        await expectError(h.set(input('other'), { txId: 'same' }), 'CONFLICT', /already exists/);
        expect((await h.getFromId('same')).key).toBe('k');
    });

    it('keeps the latest version under the key and every version under its id', async () => {
        const h = harness();
        const v1 = await h.set(input('m'), { txId: 'v1' });
        const v2 = await h.set(input('m', { checksum: SHA_B, type: 'transformation', dependencies: ['v1'] }), { txId: 'v2' });
        expect(await h.get('m')).toEqual(v2);
        expect(await h.getFromId('v1')).toEqual(v1);
    });
});

describe('setMany', () => {
    it('writes all items in one transaction with ids <txId>.<n> and resolves $n references', async () => {
        const h = harness();
        const base = await h.set(input('datasets/train'), { txId: 'base' });
        const records = await h.setMany(
            [
                input('ckpt/0', { type: 'transformation', dependencies: [base.id] }),
                input('ckpt/1', { type: 'transformation', dependencies: ['$0', base.id] }),
                input('ckpt/2', { type: 'transformation', dependencies: ['$1', '$0'] }),
            ],
            { txId: 'batch' },
        );
        expect(records.map((r) => r.id)).toEqual(['batch.0', 'batch.1', 'batch.2']);
        expect(records.map((r) => r.dependencies)).toEqual([['base'], ['batch.0', 'base'], ['batch.1', 'batch.0']]);
        expect(new Set(records.map((r) => r.timestamp)).size).toBe(1);
        expect(await h.getFromId('batch.2')).toEqual(records[2]);
        expect((await h.down('base', '1')).edges.base).toEqual(['batch.0', 'batch.1']);
        const tx = h.ledger.committed.at(-1);
        expect(tx?.events).toEqual([
            { name: RECORDED_EVENT, payload: canonicalJson({ ids: ['batch.0', 'batch.1', 'batch.2'], keys: ['ckpt/0', 'ckpt/1', 'ckpt/2'] }) },
        ]);
    });

    it('is all-or-nothing: a bad item anywhere leaves state untouched', async () => {
        const h = harness();
        await h.set(input('keep'), { txId: 'keep' });
        const before = new Map(h.ledger.state);
        const committed = h.ledger.committed.length;
        await expectError(
            h.setMany([input('a'), input('b'), input('c', { checksum: 'sha256:XYZ' })]),
            'INVALID_ARGUMENT',
            /^\[INVALID_ARGUMENT\] item 2: checksum/,
        );
        await expectError(
            h.setMany([input('a'), input('b', { dependencies: ['ghost'] })]),
            'DEPENDENCY_NOT_FOUND',
            /'ghost' of item 1 \('b'\)/,
        );
        expect(h.ledger.state).toEqual(before);
        expect(h.ledger.committed).toHaveLength(committed);
    });

    it('rejects the same key twice in one batch', async () => {
        const h = harness();
        await expectError(h.setMany([input('a'), input('b'), input('a')]), 'INVALID_ARGUMENT', /items 0 and 2 both record key 'a'/);
    });

    it('rejects forward, self and malformed batch references', async () => {
        const h = harness();
        await expectError(h.setMany([input('a', { dependencies: ['$0'] })]), 'INVALID_ARGUMENT', /item 0: dependency '\$0' must be/);
        await expectError(h.setMany([input('a'), input('b', { dependencies: ['$2'] })]), 'INVALID_ARGUMENT', /n < 1/);
        await expectError(h.setMany([input('a'), input('b', { dependencies: ['$x'] })]), 'INVALID_ARGUMENT', /must be '\$<n>'/);
        await expectError(h.setMany([input('a'), input('b', { dependencies: ['$00'] })]), 'INVALID_ARGUMENT', /must be '\$<n>'/);
    });

    it('rejects an empty batch, a non-array and a batch over the limit', async () => {
        const h = harness();
        await expectError(h.setMany([]), 'INVALID_ARGUMENT', /1 to 1000 .* got 0 items/);
        await expectError(h.setMany(input('a')), 'INVALID_ARGUMENT', /got no array/);
        const big = Array.from({ length: LIMITS.batch + 1 }, (_, i) => input(`k${i}`));
        await expectError(h.setMany(big), 'INVALID_ARGUMENT', /got 1001 items; split larger batches/);
    });

    it('accepts a full batch of LIMITS.batch items', async () => {
        const h = harness();
        const records = await h.setMany(Array.from({ length: LIMITS.batch }, (_, i) => input(`k${i}`)), { txId: 'full' });
        expect(records).toHaveLength(LIMITS.batch);
        expect(records[999]?.id).toBe('full.999');
    });
});

describe('reads', () => {
    it('get and getFromId report NOT_FOUND with a hint, and validate their argument', async () => {
        const h = harness();
        await expectError(h.get('missing'), 'NOT_FOUND', /no record for key 'missing'/);
        await expectError(h.get('a/../b'), 'INVALID_ARGUMENT', /'\.\.' segment/);
        await expectError(h.getFromId('nope'), 'NOT_FOUND', /no record with id 'nope'/);
        await expectError(h.getFromId(''), 'INVALID_ARGUMENT', /non-empty/);
    });

    it('checkHash compares with the latest version', async () => {
        const h = harness();
        await h.set(input('f'), { txId: 'f1' });
        expect(await h.checkHash('f', SHA_A)).toEqual({ key: 'f', match: true, recorded: SHA_A, id: 'f1' });
        expect(await h.checkHash('f', SHA_B)).toEqual({ key: 'f', match: false, recorded: SHA_A, id: 'f1' });
        await expectError(h.checkHash('f', 'md5:abc'), 'INVALID_ARGUMENT', /malformed/);
        await expectError(h.checkHash('g', SHA_A), 'NOT_FOUND');
    });

    it('getByChecksum finds every record holding the bytes, oldest first', async () => {
        const h = harness();
        await h.set(input('x'), { txId: 'z1' });
        await h.set(input('y', { checksum: SHA_B }), { txId: 'y1' });
        await h.set(input('y'), { txId: 'a2' });
        const found = await h.getByChecksum(SHA_A);
        expect(found.map((r) => [r.key, r.id])).toEqual([
            ['x', 'z1'],
            ['y', 'a2'],
        ]);
        expect(await h.getByChecksum(`sha256:${'c'.repeat(64)}`)).toEqual([]);
        await expectError(h.getByChecksum('sha256:ABC'), 'INVALID_ARGUMENT');
    });
});

describe('getKeyHistory', () => {
    it('pages through every version newest first with full records', async () => {
        const h = harness();
        for (let v = 0; v < 5; v++) await h.set(input('m', { meta: { v } }), { txId: `v${v}` });
        await h.set(input('other'));
        const seen: ProvenanceRecord[] = [];
        let bookmark = '';
        let pages = 0;
        do {
            const page = await h.history('m', '2', bookmark);
            expect(page.items.length).toBeLessThanOrEqual(2);
            seen.push(...page.items);
            bookmark = page.bookmark;
            pages++;
        } while (bookmark !== '');
        expect(pages).toBe(3);
        expect(seen.map((r) => r.id)).toEqual(['v4', 'v3', 'v2', 'v1', 'v0']);
        expect(seen.map((r) => r.meta.v)).toEqual([4, 3, 2, 1, 0]);
        const all = await h.history('m');
        expect(all.items).toEqual(seen);
        expect(all.bookmark).toBe('');
    });

    it('rejects a foreign bookmark, a bad page size and an unknown key', async () => {
        const h = harness();
        await h.set(input('m'), { txId: 'm1' });
        await expectError(h.history('m', '1', 'not-a-tx'), 'INVALID_ARGUMENT', /does not belong to the history of 'm'/);
        for (const size of ['0', '-1', '1001', 'ten', '1.5']) {
            await expectError(h.history('m', size), 'INVALID_ARGUMENT', /pageSize .* from 1 to 1000/);
        }
        await expectError(h.history('nothing'), 'NOT_FOUND');
    });
});

describe('getByRange', () => {
    async function seeded() {
        const h = harness();
        const keys = Array.from({ length: 25 }, (_, i) => `runs/${String(i).padStart(2, '0')}`);
        await h.setMany(keys.map((k) => input(k)));
        await h.set(input('zzz/last'));
        await h.set(input('aaa/first'));
        return h;
    }

    it('pages over a half-open range in key order and ends with an empty bookmark', async () => {
        const h = await seeded();
        const keys: string[] = [];
        let bookmark = '';
        let pages = 0;
        do {
            const page = await h.range('runs/', 'runs0', '10', bookmark);
            keys.push(...page.items.map((r) => r.key));
            bookmark = page.bookmark;
            pages++;
        } while (bookmark !== '');
        expect(pages).toBe(3);
        expect(keys).toEqual(Array.from({ length: 25 }, (_, i) => `runs/${String(i).padStart(2, '0')}`));
    });

    it('excludes the end key, treats an empty end as unbounded, and never returns index entries', async () => {
        const h = await seeded();
        const upTo = await h.range('runs/00', 'runs/03');
        expect(upTo.items.map((r) => r.key)).toEqual(['runs/00', 'runs/01', 'runs/02']);
        const all = await h.range('', '', '1000');
        expect(all.items).toHaveLength(27);
        expect(all.items[0]?.key).toBe('aaa/first');
        expect(all.items.at(-1)?.key).toBe('zzz/last');
        expect(all.bookmark).toBe('');
    });

    it('returns an empty bookmark when the last page is exactly full', async () => {
        const h = await seeded();
        const page = await h.range('runs/', 'runs0', '25');
        expect(page.items).toHaveLength(25);
        expect(page.bookmark).toBe('');
    });

    it('rejects control characters in bounds', async () => {
        const h = harness();
        await expectError(h.range('\u0000record', ''), 'INVALID_ARGUMENT', /control characters/);
    });
});

describe('getByCreator', () => {
    it('lists records by submitter oldest first, the caller by default, with pagination', async () => {
        const h = harness();
        for (let i = 0; i < 5; i++) await h.set(input(`a${i}`), { txId: `a${i}`, id: ALICE });
        await h.setMany([input('b0'), input('b1')], { txId: 'b', id: BOB, mspId: 'Org2MSP' });
        const first = await h.byCreator(ALICE, '3');
        expect(first.items.map((r) => r.id)).toEqual(['a0', 'a1', 'a2']);
        const second = await h.byCreator(ALICE, '3', first.bookmark);
        expect(second.items.map((r) => r.id)).toEqual(['a3', 'a4']);
        expect(second.bookmark).toBe('');
        const mine = await h.byCreator('', '', '', { id: BOB });
        expect(mine.items.map((r) => r.id)).toEqual(['b.0', 'b.1']);
        expect(mine.items[0]?.creator).toEqual({ mspId: 'Org2MSP', id: BOB });
        expect((await h.byCreator('x509::/CN=nobody', '')).items).toEqual([]);
    });
});
