import { describe, expect, it } from 'vitest';
import { ContractError } from './errors';
import { LIMITS } from './record';
import { expectError, harness, input, SHA_A } from './testing/fixtures';
import {
    CHECKSUM_PATTERN,
    isValidChecksum,
    isValidKey,
    keyProblem,
    parseDepth,
    parsePageSize,
    validateRecordInput,
} from './validation';

function rejects(value: unknown, pattern: RegExp, batchIndex?: number): void {
    let error: unknown;
    try {
        validateRecordInput(value, batchIndex);
    } catch (e) {
        error = e;
    }
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).code).toBe('INVALID_ARGUMENT');
    expect((error as ContractError).message).toMatch(pattern);
}

describe('keys', () => {
    it.each([
        ['models/resnet50', true],
        ['datasets/idenprof/train', true],
        ['a', true],
        ['naïve/模型/ü', true],
        ['..hidden/x.y', true],
        ['x'.repeat(LIMITS.keyBytes), true],
    ])('accepts %j', (key, ok) => {
        expect(isValidKey(key)).toBe(ok);
        expect(keyProblem(key)).toBeUndefined();
    });

    it.each([
        ['', /key is empty/],
        ['x'.repeat(LIMITS.keyBytes + 1), /1025 bytes; the limit is 1024/],
        ['é'.repeat(513), /1026 bytes/],
        ['a\u0000b', /NUL or control character/],
        ['a\nb', /control character/],
        ['a\u007fb', /control character/],
        ['a\ud800b', /lone surrogate/],
        ['/abs', /starts or ends with '\/'/],
        ['dir/', /starts or ends with '\/'/],
        ['a//b', /empty segment/],
        ['a/./b', /'\.' segment/],
        ['a/../b', /'\.\.' segment/],
        ['..', /'\.\.' segment/],
        [42, /key must be a string/],
    ])('rejects %j', (key, pattern) => {
        expect(isValidKey(key)).toBe(false);
        expect(keyProblem(key)).toMatch(pattern);
    });
});

describe('keys that look alike', () => {
    // NFC "é" is one code point, NFD "é" is e + U+0301: the same name typed on two systems.
    const nfc = 'models/caf\u00e9';
    const nfd = 'models/cafe\u0301';

    it('stores NFC and NFD spellings of a name as one key, in NFC', () => {
        expect(validateRecordInput(input(nfd)).key).toBe(nfc);
        expect(validateRecordInput(input(nfc)).key).toBe(nfc);
        expect(keyProblem(nfd)).toBeUndefined();
    });

    it.each([
        ['a right-to-left override (U+202E)', 'models/\u202Egpj.exe'],
        ['a left-to-right isolate (U+2066)', 'models/a\u2066b'],
        ['a right-to-left mark (U+200F)', 'models/a\u200Fb'],
        ['a zero-width space (U+200B)', 'models/a\u200Bb'],
        ['a zero-width joiner (U+200D)', 'models/a\u200Db'],
        ['a byte order mark (U+FEFF)', '\uFEFFmodels/a'],
        ['a soft hyphen (U+00AD)', 'models/re\u00ADsnet'],
        ['a variation selector (U+FE0F)', 'models/a\uFE0F'],
        ['a line separator (U+2028)', 'models/a\u2028b'],
        ['a paragraph separator (U+2029)', 'models/a\u2029b'],
        ['the replacement character U+FFFD left by invalid UTF-8', 'models/caf\uFFFD'],
    ])('refuses a key with %s, naming the code point', (_name, key) => {
        const code = /[\u00AD\u200B-\u200F\u2028-\u202E\u2066-\u2069\uFE0F\uFEFF\uFFFD]/.exec(key)![0].codePointAt(0)!;
        const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
        expect(isValidKey(key)).toBe(false);
        expect(keyProblem(key)).toContain(hex);
        rejects(input(key), new RegExp(hex.replace('+', '\\+')));
    });

    it('the contract finds a key by either spelling, and refuses look-alikes before writing', async () => {
        const h = harness();
        const written = await h.set(input(nfd));
        expect(written.key).toBe(nfc);
        expect((await h.get(nfc)).id).toBe(written.id);
        expect((await h.get(nfd)).id).toBe(written.id);
        expect((await h.history(nfd)).items.map((r) => r.id)).toEqual([written.id]);
        expect((await h.checkHash(nfd, SHA_A)).match).toBe(true);
        expect((await h.range(nfd, '')).items.map((r) => r.key)).toEqual([nfc]);
        await expectError(h.set(input('models/a\u202Eb')), 'INVALID_ARGUMENT', /U\+202E/);
        await expectError(h.get('models/a\u200Bb'), 'INVALID_ARGUMENT', /U\+200B/);
        expect((await h.range('', '')).items).toHaveLength(1);
    });
});

describe('checksums', () => {
    it('accepts only sha256 with 64 lowercase hex digits', () => {
        expect(CHECKSUM_PATTERN.test(SHA_A)).toBe(true);
        for (const bad of [
            `sha256:${'A'.repeat(64)}`,
            `sha256:${'a'.repeat(63)}`,
            `sha256:${'a'.repeat(65)}`,
            `SHA256:${'a'.repeat(64)}`,
            `md5:${'a'.repeat(32)}`,
            'a'.repeat(64),
            `sha256:${'g'.repeat(64)}`,
            ` sha256:${'a'.repeat(64)}`,
        ]) {
            expect(isValidChecksum(bad)).toBe(false);
        }
    });
});

describe('validateRecordInput', () => {
    it('fills in defaults and keeps values', () => {
        expect(validateRecordInput(input('k'))).toEqual({ ...input('k'), type: 'record', meta: {}, dependencies: [] });
    });

    it.each([
        [{ ...input('k'), checksum: 'sha256:abc' }, /checksum "sha256:abc" is malformed; it must be 'sha256:' followed by 64/],
        [{ ...input('k'), checksum: 5 }, /checksum a number is malformed/],
        [{ ...input('k'), size: -1 }, /size must be a non-negative integer/],
        [{ ...input('k'), size: 1.5 }, /size must be a non-negative integer/],
        [{ ...input('k'), size: 2 ** 53 }, /size must be a non-negative integer/],
        [{ ...input('k'), size: '10' }, /size must be a non-negative integer/],
        [{ ...input('k'), location: '' }, /location must be a non-empty string/],
        [{ ...input('k'), location: 'x'.repeat(LIMITS.locationBytes + 1) }, /location is 2049 bytes; the limit is 2048/],
        [{ ...input('k'), pointer: 'a\nb' }, /pointer contains control characters/],
        [{ ...input('k'), pointer: undefined }, /pointer must be a non-empty string/],
        [{ ...input('k'), type: 'model' }, /type must be one of record, transformation/],
        [{ ...input('k'), type: 'transformation' }, /'transformation' needs at least one dependency/],
        [{ ...input('k'), meta: [1] }, /meta must be a JSON object/],
        [{ ...input('k'), meta: 'x' }, /meta must be a JSON object/],
        [{ ...input('k'), meta: { big: 'x'.repeat(LIMITS.metaBytes) } }, /meta is 65546 bytes; the limit is 65536 — store large metadata as a file/],
        [{ ...input('k'), dependencies: 'abc' }, /dependencies must be an array/],
        [{ ...input('k'), dependencies: ['x', 'x'] }, /'x' is listed twice/],
        [{ ...input('k'), dependencies: [''] }, /a dependency must be a non-empty record id/],
        [{ ...input('k'), dependencies: [7] }, /a dependency must be a non-empty record id/],
        [{ ...input('k'), dependencies: ['x'.repeat(257)] }, /longer than 256 bytes/],
        [{ ...input('k'), dependencies: Array.from({ length: LIMITS.dependencies + 1 }, (_, i) => `d${i}`) }, /1025 dependencies; the limit is 1024/],
        [{ ...input('k'), key: 'a/../b' }, /'\.\.' segment/],
        [{ ...input('k'), creator: {} }, /unknown field 'creator'/],
    ])('rejects %#', (value, pattern) => {
        rejects(value, pattern);
    });

    it('rejects deeply nested meta without exhausting the stack', () => {
        let meta: unknown = 1;
        for (let i = 0; i < 100_000; i++) meta = [meta];
        rejects({ ...input('k'), meta: { deep: meta } }, /meta nests more than 10000 levels deep; the limit is 64/);
        let shallow: unknown = 1;
        for (let i = 0; i < 63; i++) shallow = [shallow];
        expect(validateRecordInput({ ...input('k'), meta: { ok: shallow } }).meta).toEqual({ ok: shallow });
    });

    it.each([
        ['-0', { n: -0 }, /meta\.n is -0/],
        ['a nested -0', { a: { b: [1, -0] } }, /meta\.a\.b\[1\] is -0/],
        ['2^53', { n: 2 ** 53 }, /meta\.n is 9007199254740992, beyond ±\(2\^53−1\)/],
        ['-(2^53)', { n: -(2 ** 53) }, /meta\.n is -9007199254740992, beyond/],
        ['1e300', { n: 1e300 }, /meta\.n is 1e\+300, beyond/],
        ['Infinity', { n: Infinity }, /meta\.n is Infinity, which JSON cannot hold/],
        ['NaN', { n: NaN }, /meta\.n is NaN, which JSON cannot hold/],
        ['a bigint', { n: 10n }, /meta\.n is a bigint, which JSON cannot hold/],
    ])('rejects meta numbers that cannot be stored exactly: %s', (_name, meta, pattern) => {
        rejects({ ...input('k'), meta }, pattern);
    });

    it('keeps every number that is stored exactly', () => {
        const meta = { max: Number.MAX_SAFE_INTEGER, min: -Number.MAX_SAFE_INTEGER, lr: 0.1, tiny: 1.5e-300, zero: 0, loss: -0.25 };
        expect(validateRecordInput({ ...input('k'), meta }).meta).toEqual(meta);
    });

    it('prefixes batch item errors with the item index', () => {
        rejects({ ...input('k'), size: -1 }, /^\[INVALID_ARGUMENT\] item 7: size/, 7);
    });

    it('meets each rule through the contract too, recording nothing', async () => {
        const h = harness();
        await expectError(h.set({ ...input('a\u0000b') }), 'INVALID_ARGUMENT', /NUL/);
        await expectError(h.set({ ...input('k'), meta: { b: 'x'.repeat(1 << 20) } }), 'INVALID_ARGUMENT', /meta is \d+ bytes/);
        await expectError(h.set({ ...input('k'), checksum: 'nope' }), 'INVALID_ARGUMENT', /malformed/);
        expect(h.ledger.state.size).toBe(0);
    });
});

describe('argument parsers', () => {
    it('parse page sizes and depths strictly', () => {
        expect(parsePageSize('')).toBe(100);
        expect(parsePageSize('1')).toBe(1);
        expect(parsePageSize(String(LIMITS.pageSize))).toBe(LIMITS.pageSize);
        expect(() => parsePageSize('1e3')).toThrow(/pageSize/);
        expect(parseDepth('')).toBe(LIMITS.depth);
        expect(parseDepth('0')).toBe(0);
        expect(() => parseDepth(' 1')).toThrow(/depth/);
    });
});
