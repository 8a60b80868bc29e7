import { createHash } from 'node:crypto';
import { chmod, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { createStoreRegistry, type StoreRegistry } from '../stores/registry.js';
import { verifyRecords } from './record-verify.js';
import { pathToFileURL } from 'node:url';

let dir: string;
let registry: StoreRegistry;
let location: string;

beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hp-verify-'));
    registry = createStoreRegistry();
    location = pathToFileURL(path.join(dir, 'objects')).href;
});
afterEach(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
});

async function stored(id: string, key: string, text: string): Promise<ProvenanceRecord> {
    const bytes = Buffer.from(text);
    const checksum = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const put = await (await registry.open(location)).put(Readable.from([bytes]), { checksum });
    return {
        schema: 1,
        id,
        key,
        checksum,
        size: bytes.length,
        location,
        pointer: put.pointer,
        creator: { mspId: 'LocalMSP', id: 'x' },
        timestamp: '2026-01-01T00:00:00.000Z',
        type: 'record',
        meta: {},
        dependencies: [],
    };
}

describe('verifyRecords', () => {
    it('passes when every object hashes to its record', async () => {
        const records = [await stored('1', 'a', 'alpha'), await stored('2', 'b', 'beta')];
        expect(await verifyRecords(records, registry)).toEqual({ ok: true, checked: 2, problems: [] });
    });

    it('names the record whose bytes changed, the missing one, and skips unreadable locations', async () => {
        const good = await stored('1', 'a', 'alpha');
        const bad = await stored('2', 'b', 'beta');
        const file = path.join(dir, 'objects', bad.pointer);
        await chmod(file, 0o644);
        const handle = await open(file, 'r+');
        await handle.write(Buffer.from('B'), 0, 1, 0);
        await handle.close();
        const missing = { ...good, id: '3', key: 'c', pointer: `sha256/11/${'1'.repeat(62)}` };
        const elsewhere = { ...good, id: '4', key: 'd', location: 'https://example.com/models' };
        const report = await verifyRecords([good, bad, missing, elsewhere], registry);
        expect(report.ok).toBe(false);
        expect(report.checked).toBe(3);
        expect(report.problems.map((p) => [p.id, p.status])).toEqual([
            ['2', 'mismatch'],
            ['3', 'missing'],
            ['4', 'unchecked'],
        ]);
        expect(report.problems[0]!.message).toContain(bad.pointer);
        expect(report.problems[0]!.actual).not.toBe(bad.checksum);
    });

    it('is still ok when the only problems are locations it cannot read', async () => {
        const good = await stored('1', 'a', 'alpha');
        const report = await verifyRecords([good, { ...good, id: '2', location: 'https://example.com/x' }], registry);
        expect(report).toMatchObject({ ok: true, checked: 1 });
    });

    it('hashes an object shared by several records once, reporting each record', async () => {
        const first = await stored('1', 'a', 'same');
        const records = [first, { ...first, id: '2', key: 'b' }, { ...first, id: '3', key: 'c' }];
        const report = await verifyRecords(records, registry);
        expect(report).toEqual({ ok: true, checked: 3, problems: [] });
    });
});
