import { describe, expect, it } from 'vitest';
import { blobPointer, contentPointer, objectKey, parseChecksum, pointerOfKey, validatePointer } from './object-keys.js';

describe('object keys', () => {
    const hex = 'ab'.repeat(32);

    it('content-addresses by SHA-256 and maps pointers to keys under the prefix and back', () => {
        expect(parseChecksum(`sha256:${hex}`)).toBe(hex);
        expect(contentPointer(hex)).toBe(`sha256/${hex}`);
        expect(objectKey('team/run', 'sha256/x')).toBe('team/run/sha256/x');
        expect(objectKey('', 'sha256/x')).toBe('sha256/x');
        expect(pointerOfKey('team/run', 'team/run/sha256/x')).toBe('sha256/x');
        expect(blobPointer()).toMatch(/^blobs\/[0-9a-f-]{36}$/);
        expect(blobPointer()).not.toBe(blobPointer());
    });

    it('refuses malformed checksums and pointers that would leave the prefix', () => {
        expect(() => parseChecksum(`sha256:${hex.toUpperCase()}`)).toThrow(/sha256:<64 lowercase hex/);
        for (const pointer of ['', '/x', '../x', 'a//b', 'a/./b', 'a\\b']) {
            expect(() => validatePointer(pointer)).toThrow(/not a valid pointer/);
        }
        expect(validatePointer('blobs/1')).toBe('blobs/1');
    });
});
