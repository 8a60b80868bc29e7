import { describe, expect, it } from 'vitest';
import { TRACKER_ERROR_CODES } from '../errors.js';
import { ERROR_HINTS, EXIT_CODES } from './exit-codes.js';

describe('exit codes', () => {
    it('gives every error code its own non-zero exit code and a hint', () => {
        expect(Object.keys(EXIT_CODES).sort()).toEqual([...TRACKER_ERROR_CODES].sort());
        const codes = Object.values(EXIT_CODES);
        expect(new Set(codes).size).toBe(codes.length);
        expect(codes.every((code) => code > 1 && code < 126)).toBe(true);
        for (const code of TRACKER_ERROR_CODES) expect(ERROR_HINTS[code].length).toBeGreaterThan(20);
    });
});
