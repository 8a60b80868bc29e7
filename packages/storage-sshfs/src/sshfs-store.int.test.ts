import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describeObjectStoreConformance } from '@hyperprov/storage/conformance';
import { describe, expect, inject, it } from 'vitest';
import { createSshfsStore } from './sshfs-store.js';

const shared = inject('sshfs');

// Each test gets a fresh directory on the one real mount that the global setup made.
describeObjectStoreConformance(
    'sshfs (real sshd over loopback)',
    async () => {
        const dir = path.join(shared.mountpoint, `conformance-${randomUUID()}`);
        await mkdir(dir);
        const store = await createSshfsStore({ mountpoint: dir, remote: shared.remote });
        return {
            store,
            cleanup: async () => {
                await store.close();
                await rm(dir, { recursive: true, force: true });
            },
            // In place, through the mount but not through the store (the server's own directory
            // would do too, but the mount's attribute cache could hide the change for a while).
            damage: async (pointer: string, bytes: Buffer) => {
                const file = path.join(dir, pointer);
                await chmod(file, 0o644);
                await writeFile(file, bytes);
            },
        };
    },
    { timeout: 60_000 },
);

describe('sshfs store specifics', () => {
    it('records its location as sshfs:///<mountpoint>', async () => {
        const store = await createSshfsStore({ mountpoint: shared.mountpoint });
        expect(store.location).toBe(`sshfs://${shared.mountpoint}`);
        await store.close();
    });

    it('close() right after put() waits for the put, even while its mount check is still running', async () => {
        const dir = path.join(shared.mountpoint, `close-${randomUUID()}`);
        const store = await createSshfsStore({ mountpoint: dir });
        const put = store.put(Readable.from([Buffer.from('in flight during close')]));
        const closing = store.close();
        const result = await put;
        await closing;
        await expect(readFile(path.join(shared.remoteDir, path.basename(dir), result.pointer), 'utf8')).resolves.toBe(
            'in flight during close',
        );
        await expect(store.exists(result.pointer)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
        await rm(dir, { recursive: true, force: true });
    });

    it('puts the bytes on the server, in the content-addressed layout', async () => {
        const dir = `store-${randomUUID()}`;
        const store = await createSshfsStore({ mountpoint: path.join(shared.mountpoint, dir) });
        try {
            const result = await store.put(Readable.from([Buffer.from('hello sshfs')]));
            expect(result.pointer).toMatch(/^sha256\/[0-9a-f]{2}\/[0-9a-f]{62}$/);
            // Read behind the mount's back, from the server's own directory.
            await expect(readFile(path.join(shared.remoteDir, dir, result.pointer), 'utf8')).resolves.toBe('hello sshfs');
        } finally {
            await store.close();
        }
    });
});
