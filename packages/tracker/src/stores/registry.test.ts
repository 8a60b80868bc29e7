import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTrackerError } from '@hyperprov/errors';
import { createStoreRegistry, openStore, parseStoreLocation } from './registry.js';

let root: string;
beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hp-registry-'));
});
afterEach(async () => {
    await rm(root, { recursive: true, force: true });
});

describe('store registry', () => {
    it('opens file:// URLs as local stores that round-trip bytes', async () => {
        const url = pathToFileURL(path.join(root, 'objects')).href;
        const store = await openStore(url);
        try {
            expect(store.location).toBe(url);
            const put = await store.put(Readable.from([Buffer.from('hello')]));
            const chunks: Buffer[] = [];
            for await (const chunk of await store.get(put.pointer)) chunks.push(chunk as Buffer);
            expect(Buffer.concat(chunks).toString()).toBe('hello');
        } finally {
            await store.close();
        }
    });

    it('keeps one store per URL and closes them all', async () => {
        const registry = createStoreRegistry();
        const url = pathToFileURL(root).href;
        const [a, b] = await Promise.all([registry.open(url), registry.open(url)]);
        expect(a).toBe(b);
        await registry.close();
        await registry.close();
        await expect(registry.open(url)).rejects.toThrow(/closed/);
    });

    it('finds a store again under its own location', async () => {
        const registry = createStoreRegistry();
        const store = await registry.open(path.join(root, 'objects'));
        expect(await registry.open(store.location)).toBe(store);
        await registry.close();
    });

    it.each([
        ['an unsupported scheme', 'http://example.com/x', /unsupported scheme/],
        ['credentials in the URL', 's3://user:secret@bucket/p', /credentials/],
        ['an sshfs URL with a host', 'sshfs://host/mnt', /mountpoint/],
    ])('rejects %s as INVALID_ARGUMENT', async (_name, url, message) => {
        const error = await openStore(url).catch((e: unknown) => e);
        expect(isTrackerError(error, 'INVALID_ARGUMENT')).toBe(true);
        expect((error as Error).message).toMatch(message);
    });

    it('resolves bare paths against the given directory', () => {
        expect(parseStoreLocation('objects', root)).toMatchObject({ kind: 'file', root: path.join(root, 'objects') });
    });
});
