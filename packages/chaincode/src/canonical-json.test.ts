import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
    it('sorts keys recursively and drops whitespace', () => {
        expect(canonicalJson({ b: 1, a: { d: [1, { z: true, x: null }], c: 'x' } })).toBe(
            '{"a":{"c":"x","d":[1,{"x":null,"z":true}]},"b":1}',
        );
    });

    it('sorts integer-like keys as strings, not in the numeric order JS objects enumerate them', () => {
        expect(canonicalJson({ '10': 'a', '2': 'b', '1': 'c', x: 'd' })).toBe('{"1":"c","10":"a","2":"b","x":"d"}');
    });

    it('gives the same bytes whatever the insertion order', () => {
        const a = { key: 'k', meta: { lr: 0.1, epoch: 3 }, dependencies: ['y', 'x'] };
        const b = { dependencies: ['y', 'x'], meta: { epoch: 3, lr: 0.1 }, key: 'k' };
        expect(canonicalJson(a)).toBe(canonicalJson(b));
    });

    it('drops undefined properties and writes undefined array items as null, like JSON.stringify', () => {
        expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
    });

    it('escapes strings exactly as JSON.stringify does and round-trips', () => {
        const value = { 'k"ey': 'line\nbreak \u2028 é \u0000 😀', n: -0.5e-7 };
        const text = canonicalJson(value);
        expect(JSON.parse(text)).toEqual(value);
        expect(text).toBe(JSON.stringify({ 'k"ey': value['k"ey'], n: value.n }));
    });

    it('rejects NaN, Infinity and non-JSON types', () => {
        expect(() => canonicalJson({ a: Number.NaN })).toThrow(/NaN or Infinity/);
        expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow(/NaN or Infinity/);
        expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
        expect(() => canonicalJson({ n: 1n })).toThrow(/bigint/);
    });
});
