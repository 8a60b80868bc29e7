import { describe, expect, it } from 'vitest';
import { errorDocument, fromErrorDocument } from './error-document.js';
import { ERROR_HINTS, EXIT_CODES } from './error-tables.js';
import { TrackerError } from './tracker-error.js';

describe('error document', () => {
    it('carries code, message, hint and exit code, and reads back into the same TrackerError', () => {
        const doc = errorDocument(new TrackerError('NOT_FOUND', "no record with key 'k'"));
        expect(doc).toEqual({ error: { code: 'NOT_FOUND', message: "no record with key 'k'", hint: ERROR_HINTS.NOT_FOUND, exitCode: EXIT_CODES.NOT_FOUND } });
        const back = fromErrorDocument(JSON.parse(JSON.stringify(doc)));
        expect(back).toBeInstanceOf(TrackerError);
        expect([back?.code, back?.message]).toEqual(['NOT_FOUND', "no record with key 'k'"]);
    });

    it('calls anything that is not a TrackerError INTERNAL, and refuses documents that are not error documents', () => {
        expect(errorDocument(new Error('boom')).error).toMatchObject({ code: 'INTERNAL', message: 'unexpected error: boom' });
        expect(fromErrorDocument({ error: { code: 'NOPE', message: 'x' } })).toBeUndefined();
        expect(fromErrorDocument({ items: [] })).toBeUndefined();
        expect(fromErrorDocument(null)).toBeUndefined();
    });
});
