import { describe, expect, it } from 'vitest';
import { TRACKER_ERROR_CODES } from './tracker-error.js';
import { ERROR_HINTS, EXIT_CODES, HTTP_STATUSES } from './error-tables.js';

describe('error tables', () => {
    it('gives every error code its own non-zero exit code and a hint', () => {
        expect(Object.keys(EXIT_CODES).sort()).toEqual([...TRACKER_ERROR_CODES].sort());
        const codes = Object.values(EXIT_CODES);
        expect(new Set(codes).size).toBe(codes.length);
        expect(codes.every((code) => code > 1 && code < 126)).toBe(true);
        for (const code of TRACKER_ERROR_CODES) expect(ERROR_HINTS[code].length).toBeGreaterThan(20);
    });

    it('gives every error code an HTTP error status and a hint, and nothing else', () => {
        expect(Object.keys(HTTP_STATUSES).sort()).toEqual([...TRACKER_ERROR_CODES].sort());
        expect(Object.keys(ERROR_HINTS).sort()).toEqual([...TRACKER_ERROR_CODES].sort());
        for (const code of TRACKER_ERROR_CODES) {
            const status = HTTP_STATUSES[code];
            expect(status >= 400 && status < 600, `${code} -> ${status}`).toBe(true);
        }
        // Only a bug or a failed backend (ledger, store, the server's own disk) is the server's fault.
        expect(TRACKER_ERROR_CODES.filter((code) => HTTP_STATUSES[code] >= 500).sort()).toEqual(
            ['INTERNAL', 'IO_ERROR', 'LEDGER_CORRUPT', 'LEDGER_UNAVAILABLE', 'STORE_UNAVAILABLE', 'TIMEOUT'].sort(),
        );
    });
});
