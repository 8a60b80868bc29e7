import { describe, expect, it } from 'vitest';
import type { LineageGraph, ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { lineageLevels } from './lineage.js';
import { renderLineageDot, renderLineageTree } from './lineage-format.js';

const rec = (id: string, key: string, dependencies: string[] = []): ProvenanceRecord => ({
    schema: 1,
    id,
    key,
    checksum: `sha256:${id.padEnd(64, '0')}`,
    size: 1,
    location: 'file:///s',
    pointer: 'p',
    creator: { mspId: 'LocalMSP', id: 'x509::CN=u::CN=ca' },
    timestamp: '2026-01-01T00:00:00.000Z',
    type: dependencies.length ? 'transformation' : 'record',
    meta: {},
    dependencies,
});

// d depends on b and c, both depend on a: a diamond.
const diamond: LineageGraph = {
    root: 'd',
    records: { d: rec('d', 'model', ['b', 'c']), b: rec('b', 'train', ['a']), c: rec('c', 'test', ['a']), a: rec('a', 'raw') },
    edges: { d: ['b', 'c'], b: ['a'], c: ['a'], a: [] },
    truncated: [],
};

describe('renderLineageTree', () => {
    it('draws each record once and points back at repeats', () => {
        const text = renderLineageTree(diamond, 'up');
        expect(text.split('\n')).toEqual([
            expect.stringMatching(/^model  d  /),
            expect.stringMatching(/^├── train  b  /),
            expect.stringMatching(/^│   └── raw  a  /),
            expect.stringMatching(/^└── test  c  /),
            '    └── raw  a  (shown above)',
        ]);
    });

    it('marks records cut off by the depth limit', () => {
        const text = renderLineageTree({ ...diamond, edges: { d: ['b', 'c'] }, records: { d: diamond.records.d!, b: diamond.records.b!, c: diamond.records.c! }, truncated: ['b', 'c'] }, 'up');
        expect(text).toMatch(/train  b .*depth limit/);
    });

    it('says when there is nothing to show', () => {
        expect(renderLineageTree({ root: 'a', records: { a: rec('a', 'raw') }, edges: {}, truncated: [] }, 'down')).toMatch(/nothing depends on this record/);
    });

    it('renders a 20000-deep chain without exhausting the stack', () => {
        const records: Record<string, ProvenanceRecord> = {};
        const edges: Record<string, string[]> = {};
        for (let i = 0; i < 20_000; i++) {
            records[`r${i}`] = rec(`r${i}`, `k${i}`);
            edges[`r${i}`] = i + 1 < 20_000 ? [`r${i + 1}`] : [];
        }
        const text = renderLineageTree({ root: 'r0', records, edges, truncated: [] }, 'up');
        const lines = text.split('\n');
        expect(lines).toHaveLength(20_000);
        // Indentation stops growing; deep lines say their level instead.
        expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(300);
        expect(lines[19_999]).toMatch(/\[level 19999\] k19999  r19999/);
    });
});

describe('renderLineageDot', () => {
    it('draws arrows from dependency to derived record in both directions', () => {
        const up = renderLineageDot(diamond, 'up');
        expect(up).toContain('"b" -> "d";');
        expect(up).toContain('"a" -> "b";');
        const down = renderLineageDot({ root: 'a', records: { a: diamond.records.a!, b: diamond.records.b! }, edges: { a: ['b'] }, truncated: [] }, 'down');
        expect(down).toContain('"a" -> "b";');
    });
});

describe('lineageLevels', () => {
    it('lists records breadth-first, each once, with its distance', () => {
        expect(lineageLevels(diamond).map((e) => [e.record.id, e.level])).toEqual([
            ['d', 0],
            ['b', 1],
            ['c', 1],
            ['a', 2],
        ]);
    });
});
