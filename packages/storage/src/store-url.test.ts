import { describe, expect, it } from 'vitest';
import { isStoreError } from './errors.js';
import { formatStoreUrl, parseStoreUrl } from './store-url.js';

describe('parseStoreUrl', () => {
    it('parses file URLs and bare paths', () => {
        expect(parseStoreUrl('file:///var/lib/objects')).toEqual({ kind: 'file', root: '/var/lib/objects', options: {} });
        expect(parseStoreUrl('file:///dir%20with%20space')).toMatchObject({ root: '/dir with space' });
        expect(parseStoreUrl('objects', '/home/me')).toMatchObject({ kind: 'file', root: '/home/me/objects' });
    });

    it('parses s3 URLs with endpoint, region and path style', () => {
        const url = 's3://models/team/a?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=us-east-1&forcePathStyle=true';
        const parsed = parseStoreUrl(url);
        expect(parsed).toMatchObject({
            kind: 's3',
            bucket: 'models',
            prefix: 'team/a',
            endpoint: 'http://127.0.0.1:9000',
            region: 'us-east-1',
            forcePathStyle: true,
        });
        expect(parseStoreUrl(formatStoreUrl(parsed as never))).toEqual(parsed);
        expect(parseStoreUrl('s3://bucket')).toMatchObject({ bucket: 'bucket', prefix: '' });
    });

    it('parses sshfs URLs with an optional remote', () => {
        const parsed = parseStoreUrl('sshfs:///mnt/store?remote=alice%40host%3A%2Fsrv%2Fdata');
        expect(parsed).toMatchObject({ kind: 'sshfs', mountpoint: '/mnt/store', remote: 'alice@host:/srv/data' });
        expect(formatStoreUrl(parsed as never)).toBe('sshfs:///mnt/store?remote=alice%40host%3A%2Fsrv%2Fdata');
        expect(formatStoreUrl({ kind: 'sshfs', mountpoint: '/mnt/x' })).toBe('sshfs:///mnt/x');
    });

    it('resolves relative file URLs against the base directory and formats them relative again', () => {
        const parsed = parseStoreUrl('file:.hyperprov/objects', '/somewhere/else', '/home/me/project');
        expect(parsed).toEqual({ kind: 'file', root: '/home/me/project/.hyperprov/objects', relative: '.hyperprov/objects', options: {} });
        expect(formatStoreUrl(parsed as never)).toBe('file:.hyperprov/objects');
        expect(parseStoreUrl('file:./my%20objects/', undefined, '/p')).toMatchObject({ root: '/p/my objects', relative: 'my objects' });
        expect(formatStoreUrl({ kind: 'file', root: '/p/my objects', relative: 'my objects' })).toBe('file:my%20objects');
        // Absolute forms stay absolute.
        expect(parseStoreUrl('file:/var/x', undefined, '/p')).toMatchObject({ root: '/var/x' });
        expect(parseStoreUrl('file:/var/x', undefined, '/p')).not.toHaveProperty('relative');
    });

    it('refuses a relative file URL without a base directory', () => {
        expect(() => parseStoreUrl('file:.hyperprov/objects')).toThrow(/relative to a project directory/);
    });

    it('round-trips file URLs', () => {
        expect(formatStoreUrl({ kind: 'file', root: '/a b/c' })).toBe('file:///a%20b/c');
    });

    it.each([
        ['', 'empty'],
        ['http://example.com/x', 'unsupported scheme'],
        ['s3://', 'no valid bucket'],
        ['s3://bkt/p?foo=1', 'unknown parameter'],
        ['s3://bkt/p?forcePathStyle=maybe', 'true or false'],
        ['s3://key:secret@bkt/p', 'credentials'],
        ['sshfs://host/mnt', 'has a host'],
        ['sshfs:///', 'no mountpoint'],
        ['file://remote/x', 'remote host'],
    ])('rejects %j (%s) with INVALID_ARGUMENT', (url, why) => {
        let caught: unknown;
        try {
            parseStoreUrl(url);
        } catch (error) {
            caught = error;
        }
        expect(isStoreError(caught, 'INVALID_ARGUMENT')).toBe(true);
        expect((caught as Error).message).toContain(why);
    });
});
