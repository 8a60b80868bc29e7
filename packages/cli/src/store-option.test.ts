import { describe, expect, it } from 'vitest';
import { isTrackerError } from '@hyperprov/errors';
import { storeUrlFromOptions } from './store-option.js';

function code(fn: () => unknown): string | undefined {
    try {
        fn();
    } catch (error) {
        return isTrackerError(error) ? error.code : 'not a TrackerError';
    }
    return undefined;
}

describe('storeUrlFromOptions', () => {
    it('gives nothing when neither option is set', () => {
        expect(storeUrlFromOptions(undefined, undefined, '/work')).toBeUndefined();
    });

    it('turns a bare path into a file URL against the working directory', () => {
        expect(storeUrlFromOptions('objects', undefined, '/work/project')).toBe('file:///work/project/objects');
    });

    it('carries the sshfs remote inside the store URL', () => {
        const url = storeUrlFromOptions('sshfs:///mnt/models', 'alice@storage:/srv/models', '/work');
        expect(url).toMatch(/^sshfs:\/\/\/mnt\/models\?remote=/);
        expect(decodeURIComponent(new URL(url!).searchParams.get('remote')!)).toBe('alice@storage:/srv/models');
    });

    it('refuses a remote without an sshfs store, or with another kind of store, or a malformed remote', () => {
        expect(code(() => storeUrlFromOptions(undefined, 'alice@h:/p', '/w'))).toBe('INVALID_ARGUMENT');
        expect(code(() => storeUrlFromOptions('file:///tmp/x', 'alice@h:/p', '/w'))).toBe('INVALID_ARGUMENT');
        expect(code(() => storeUrlFromOptions('sshfs:///mnt/x', 'no-colon-here', '/w'))).toBe('INVALID_ARGUMENT');
    });

    it('refuses a malformed store URL with INVALID_ARGUMENT', () => {
        expect(code(() => storeUrlFromOptions('ftp://host/x', undefined, '/w'))).toBe('INVALID_ARGUMENT');
    });
});
