import { describe, expect, it } from 'vitest';
import { acquirePartBuffer, idlePartBufferBytes, releasePartBuffers } from './part-buffers.js';

const MiB = 1024 * 1024;

describe('part buffer pool', () => {
    it('hands a released buffer to the next put of the same part size', () => {
        const a = acquirePartBuffer(5 * MiB);
        expect(a.length).toBe(5 * MiB);
        const before = idlePartBufferBytes();
        releasePartBuffers([a]);
        expect(idlePartBufferBytes()).toBe(before + 5 * MiB);
        expect(acquirePartBuffer(5 * MiB)).toBe(a);
        expect(idlePartBufferBytes()).toBe(before);
        expect(acquirePartBuffer(6 * MiB)).not.toBe(a);
    });

    it('keeps at most 128 MiB idle', () => {
        const buffers = Array.from({ length: 12 }, () => acquirePartBuffer(16 * MiB));
        releasePartBuffers(buffers);
        expect(idlePartBufferBytes()).toBeLessThanOrEqual(128 * MiB);
        expect(idlePartBufferBytes()).toBeGreaterThanOrEqual(112 * MiB);
        while (idlePartBufferBytes() >= 16 * MiB) acquirePartBuffer(16 * MiB);
    });
});
