import { describe, expect, it } from 'vitest';
import { escapeUndecodable } from './undecodable-name.js';

describe('escapeUndecodable', () => {
    it.each([
        ['valid UTF-8 stays as it is', Buffer.from('naïve/模型/😀'), 'naïve/模型/😀'],
        ['a Latin-1 byte', Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'caf\\xe9'],
        ['a truncated sequence', Buffer.from([0x61, 0xe6, 0xa8]), 'a\\xe6\\xa8'],
        ['an overlong "/"', Buffer.from([0xc0, 0xaf]), '\\xc0\\xaf'],
        ['an encoded surrogate', Buffer.from([0xed, 0xa0, 0x80]), '\\xed\\xa0\\x80'],
        ['a real U+FFFD', Buffer.from('a\uFFFD'), 'a\uFFFD'],
    ])('%s', (_name, bytes, shown) => {
        expect(escapeUndecodable(bytes)).toBe(shown);
    });
});
