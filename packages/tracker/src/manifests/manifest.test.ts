import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { canonicalJson } from '@hyperprov/chaincode/protocol';
import { describe, expect, it } from 'vitest';
import { isTrackerError } from '@hyperprov/errors';
import { diffManifests } from './diff-manifests.js';
import { buildManifest, compareUtf8, serializeManifest, type ManifestEntry } from './manifest.js';
import { parseManifest } from './parse-manifest.js';

const h = (s: string): string => createHash('sha256').update(s).digest('hex');
const entry = (path: string, content: string): ManifestEntry => ({ path, size: Buffer.byteLength(content), sha256: h(content) });

describe('manifest format', () => {
    it('sorts by UTF-8 bytes, not UTF-16 code units', () => {
        // U+1F600 (emoji, 4 UTF-8 bytes F0..) sorts after U+FF21 (EF BC A1) in bytes, before it in UTF-16.
        expect(['\u{1F600}', '\uFF21'].sort()).toEqual(['\u{1F600}', '\uFF21']);
        expect(['\u{1F600}', '\uFF21'].sort(compareUtf8)).toEqual(['\uFF21', '\u{1F600}']);
        const m = buildManifest([entry('\u{1F600}.txt', 'a'), entry('\uFF21.txt', 'b'), entry('B', ''), entry('a/b', 'c'), entry('a.b', 'd')]);
        expect(m.entries.map((e) => e.path)).toEqual(['B', 'a.b', 'a/b', '\uFF21.txt', '\u{1F600}.txt']);
    });

    it('compareUtf8 agrees with comparing UTF-8 bytes, on random strings from every plane', () => {
        const alphabet = ['a', 'B', '/', '.', '~', '\u00e9', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uff21', '\uffff', '\u{10000}', '\u{1F600}', '\u{10FFFF}'];
        let seed = 42;
        const random = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
        const word = (): string => Array.from({ length: 1 + random(4) }, () => alphabet[random(alphabet.length)]).join('');
        for (let i = 0; i < 5000; i++) {
            const a = word();
            const b = random(4) === 0 ? a : word();
            expect(Math.sign(compareUtf8(a, b)), `${a} vs ${b}`).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
        }
    });

    it('has count, totalSize and a root over the canonical entry list', () => {
        const m = buildManifest([entry('x', 'hello'), entry('y', '')]);
        expect(m).toMatchObject({ schema: 1, kind: 'hyperprov.dataset-manifest', count: 2, totalSize: 5 });
        expect(m.root).toBe(`sha256:${h(canonicalJson(m.entries))}`);
    });

    it('serialises to exactly canonicalJson(manifest), whatever the input order', () => {
        const entries = Array.from({ length: 3000 }, (_, i) => entry(`dir${i % 7}/f-${i}-é.bin`, String(i)));
        const a = buildManifest(entries);
        const b = buildManifest([...entries].reverse());
        const sa = serializeManifest(a);
        expect(sa.bytes.toString('utf8')).toBe(canonicalJson(a));
        expect(serializeManifest(b).bytes.equals(sa.bytes)).toBe(true);
        expect(sa.checksum).toBe(`sha256:${createHash('sha256').update(sa.bytes).digest('hex')}`);
        expect(sa.size).toBe(sa.bytes.length);
        // The file checksum covers the envelope too, so it differs from the content root.
        expect(sa.checksum).not.toBe(a.root);
    });

    it('refuses to build a manifest with a path twice', () => {
        expect(() => buildManifest([entry('a', '1'), entry('a', '2')])).toThrow(/appears twice/);
    });

    it('an empty dataset is a valid manifest', () => {
        const m = buildManifest([]);
        expect(m.count).toBe(0);
        expect(m.root).toBe(`sha256:${h('[]')}`);
        expect(parseManifest(serializeManifest(m).bytes)).toEqual(m);
    });
});

describe('root is reproducible outside JavaScript', () => {
    const hasPython = spawnSync('python3', ['--version']).status === 0;
    it.skipIf(!hasPython)('python json.dumps(sort_keys, compact, ensure_ascii=False) gives the same root', () => {
        const names = ['a"b\\c', 'tab\there', 'nl\nx', 'ctl\u0001', 'del\u007f', 'été/日本', '\u{1F600}', '\uFF21', 'sp ace', '\u2028ls'];
        const m = buildManifest(names.map((path, i) => ({ path, size: i, sha256: h(path) })));
        const script =
            'import sys, json, hashlib; e = json.load(sys.stdin); ' +
            'print("sha256:" + hashlib.sha256(json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest())';
        const out = execFileSync('python3', ['-c', script], { input: JSON.stringify(m.entries) }).toString().trim();
        expect(out).toBe(m.root);
    });
});

describe('parseManifest', () => {
    const good = buildManifest([entry('a', '1'), entry('b/c', '22')]);
    const text = serializeManifest(good).bytes.toString('utf8');
    const code = (f: () => unknown): string | undefined => {
        try {
            f();
        } catch (error) {
            return isTrackerError(error) ? error.code : 'not a TrackerError';
        }
        return undefined;
    };

    it('round-trips', () => {
        expect(parseManifest(text)).toEqual(good);
    });

    it('refuses a changed entry hash as CHECKSUM_MISMATCH (root no longer matches)', () => {
        const bad = text.replace(good.entries[0]!.sha256, h('other'));
        expect(code(() => parseManifest(bad))).toBe('CHECKSUM_MISMATCH');
    });

    it.each([
        ['not JSON', '{'],
        ['wrong kind', text.replace('hyperprov.dataset-manifest', 'something-else')],
        ['wrong schema', text.replace('"schema":1', '"schema":2')],
        ['non-canonical whitespace', JSON.stringify(JSON.parse(text), null, 1)],
        ['wrong count', text.replace('"count":2', '"count":3')],
        ['wrong totalSize', text.replace('"totalSize":3', '"totalSize":4')],
        ['a parent segment', canonicalJson(buildManifest([entry('../etc/passwd', 'x')]))],
        ['an absolute path', canonicalJson(buildManifest([entry('/etc/passwd', 'x')]))],
        ['a bad hash', canonicalJson({ ...good, entries: [{ ...good.entries[0], sha256: 'XYZ' }, good.entries[1]] })],
        ['an extra field', canonicalJson({ ...good, extra: 1 })],
        ['a lone surrogate', canonicalJson(buildManifest([entry('bad\ud800name', 'x')]))],
    ])('refuses %s with INVALID_ARGUMENT', (_name, bytes) => {
        expect(code(() => parseManifest(bytes))).toBe('INVALID_ARGUMENT');
    });

    it('refuses unsorted or duplicate entries', () => {
        const swapped = { ...good, entries: [good.entries[1], good.entries[0]] };
        expect(code(() => parseManifest(canonicalJson(swapped)))).toBe('INVALID_ARGUMENT');
        const dup = { ...good, entries: [good.entries[0], good.entries[0]] };
        expect(code(() => parseManifest(canonicalJson(dup)))).toBe('INVALID_ARGUMENT');
    });
});

describe('diffManifests', () => {
    it('lists added, removed, modified (size vs content) and unchanged in manifest order', () => {
        const before = buildManifest([entry('keep', 'k'), entry('gone/1', 'x'), entry('grow', 'ab'), entry('edit', 'ab'), entry('z', 'z')]);
        const after = buildManifest([entry('z', 'z'), entry('new/2', 'y'), entry('keep', 'k'), entry('grow', 'abc'), entry('edit', 'cd'), entry('a-new', '')]);
        const d = diffManifests(before, after);
        expect(d.added.map((e) => e.path)).toEqual(['a-new', 'new/2']);
        expect(d.removed.map((e) => e.path)).toEqual(['gone/1']);
        expect(d.modified.map((m) => [m.path, m.change])).toEqual([
            ['edit', 'content'],
            ['grow', 'size'],
        ]);
        expect(d.modified[1]!.before.size).toBe(2);
        expect(d.modified[1]!.after.size).toBe(3);
        expect(d.unchanged).toEqual(['keep', 'z']);
        expect(d.counts).toEqual({ added: 2, removed: 1, modified: 2, unchanged: 2 });
        expect(d.identical).toBe(false);
    });

    it('identical manifests are identical', () => {
        const m = buildManifest([entry('a', '1')]);
        const d = diffManifests(m, buildManifest([entry('a', '1')]));
        expect(d.identical).toBe(true);
        expect(d.counts).toEqual({ added: 0, removed: 0, modified: 0, unchanged: 1 });
    });
});
