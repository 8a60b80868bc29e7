import { chmod, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sha256Of } from './checksum.js';
import { describeObjectStoreConformance } from './conformance.js';
import { isStoreError } from './errors.js';
import { createLocalStore, localPointerFor } from './local-store.js';

async function tempRoot(): Promise<string> {
    return mkdtemp(join(tmpdir(), 'hyperprov-local-store-'));
}

describeObjectStoreConformance('local directory', async () => {
    const root = await tempRoot();
    const store = createLocalStore({ root });
    const adoptables: string[] = [];
    return {
        store,
        async cleanup() {
            // Nothing a failed or aborted put wrote may linger in the temp directory.
            const litter = await readdir(join(root, '.tmp')).catch(() => []);
            await rm(root, { recursive: true, force: true });
            for (const file of adoptables) await rm(file, { force: true });
            expect(litter).toEqual([]);
        },
        async adoptable(bytes) {
            // Beside the store, as the tracker's outbox is beside the project's store.
            const file = join(root, '..', `${root.split('/').pop()}-adoptable-${Math.random().toString(36).slice(2)}`);
            await writeFile(file, bytes);
            adoptables.push(file);
            return file;
        },
        async damage(pointer, bytes) {
            // In place, like a disk error or a stray write would: same file, new bytes.
            await chmod(join(root, pointer), 0o644);
            await writeFile(join(root, pointer), bytes);
        },
    };
});

describe('local store specifics', () => {
    it('uses a file:// location and a content-addressed, read-only layout', async () => {
        const root = await tempRoot();
        try {
            const store = createLocalStore({ root });
            expect(store.location).toBe(pathToFileURL(root).href);
            const bytes = Buffer.from('content addressed');
            const result = await store.put(Readable.from([bytes]));
            expect(result.pointer).toBe(localPointerFor(sha256Of(bytes)));
            expect(result.pointer).toMatch(/^sha256\/[0-9a-f]{2}\/[0-9a-f]{62}$/);
            const info = await stat(join(root, result.pointer));
            // Read-only, and not for everyone: one object serves every source file of its bytes.
            expect(info.mode & 0o777).toBe(0o440);
            expect((await stat(join(root, 'sha256'))).mode & 0o007).toBe(0);
            await store.close();
        } finally {
            await rm(root, { recursive: true, force: true });
        }
    });

    it('freshens the modification time of an object a put skips (gc keeps objects newer than its minimum age)', async () => {
        const root = await tempRoot();
        try {
            const store = createLocalStore({ root });
            const bytes = Buffer.from('stored once, put again');
            const first = await store.put(Readable.from([bytes]));
            const past = new Date(Date.now() - 3600_000);
            await utimes(join(root, first.pointer), past, past);
            const again = await store.put(Readable.from([bytes]), { checksum: sha256Of(bytes), size: bytes.length });
            expect(again.skipped).toBe(true);
            expect(Date.now() - (await stat(join(root, first.pointer))).mtimeMs).toBeLessThan(60_000);
            await utimes(join(root, first.pointer), past, past);
            const third = await store.put(Readable.from([bytes]));
            expect(third.skipped).toBe(true);
            expect(Date.now() - (await stat(join(root, first.pointer))).mtimeMs).toBeLessThan(60_000);
            await store.close();
        } finally {
            await rm(root, { recursive: true, force: true });
        }
    });

    it('removes temp files of dead writers when opened, and keeps those of live ones', async () => {
        const root = await tempRoot();
        try {
            await createLocalStore({ root }).close();
            const { mkdir } = await import('node:fs/promises');
            await mkdir(join(root, '.tmp'), { recursive: true });
            // pid 2^22+1 is above Linux's pid_max limit, so no live process owns it.
            await writeFile(join(root, '.tmp', `${2 ** 22 + 1}-dead.tmp`), 'partial');
            await writeFile(join(root, '.tmp', `${process.ppid}-live.tmp`), 'in flight');
            const store = createLocalStore({ root });
            expect(await store.exists(localPointerFor(sha256Of('x')))).toBe(false);
            expect(await readdir(join(root, '.tmp'))).toEqual([`${process.ppid}-live.tmp`]);
            await store.close();
        } finally {
            await rm(root, { recursive: true, force: true });
        }
    });

    it('refuses pointers outside its layout (no path traversal)', async () => {
        const root = await tempRoot();
        try {
            const store = createLocalStore({ root });
            for (const pointer of ['../../etc/passwd', 'sha256/ab/../../x', '/etc/passwd', '']) {
                const error = await store.get(pointer).catch((e: unknown) => e);
                expect(isStoreError(error, 'INVALID_ARGUMENT')).toBe(true);
            }
            await store.close();
        } finally {
            await rm(root, { recursive: true, force: true });
        }
    });

    it('reports an unusable root as UNAVAILABLE', async () => {
        const root = await tempRoot();
        try {
            const file = join(root, 'not-a-dir');
            await writeFile(file, '');
            const store = createLocalStore({ root: join(file, 'objects') });
            const error = await store.put(Readable.from([Buffer.from('x')])).catch((e: unknown) => e);
            expect(isStoreError(error, 'UNAVAILABLE')).toBe(true);
            expect((error as { message: string }).message).toMatch(/open store/);
        } finally {
            await rm(root, { recursive: true, force: true });
        }
    });

    it('adopts a file as the object itself: one inode, read-only and young, still there once the caller removes its name', async () => {
        const root = await tempRoot();
        try {
            const store = createLocalStore({ root });
            const file = join(root, 'snapshot');
            const bytes = Buffer.from('adopted, not copied');
            await writeFile(file, bytes);
            const old = new Date(Date.now() - 30 * 24 * 3600 * 1000);
            await utimes(file, old, old);
            const result = await store.adopt!(file, { checksum: sha256Of(bytes), size: bytes.byteLength });
            const object = await stat(join(root, result!.pointer));
            expect(object.ino).toBe((await stat(file)).ino);
            expect(object.mode & 0o777).toBe(0o440);
            expect(Date.now() - object.mtimeMs).toBeLessThan(60_000); // gc must not take it before its record commits
            await rm(file);
            expect((await stat(join(root, result!.pointer))).size).toBe(bytes.byteLength);
            expect(await readdir(join(root, '.tmp'))).toEqual([]);
            await store.close();
        } finally {
            await rm(root, { recursive: true, force: true });
        }
    });

    it('does not adopt a file on another file system (undefined: put it instead) and stores nothing', async (ctx) => {
        const root = await tempRoot();
        const other = await mkdtemp(join('/dev/shm', 'hyperprov-adopt-')).catch(() => undefined);
        try {
            if (other === undefined || (await stat(other)).dev === (await stat(root)).dev) ctx.skip();
            const store = createLocalStore({ root });
            const file = join(other!, 'elsewhere');
            await writeFile(file, 'on tmpfs');
            expect(await store.adopt!(file, { checksum: sha256Of(Buffer.from('on tmpfs')), size: 8 })).toBeUndefined();
            const visible = [];
            for await (const info of store.list()) visible.push(info);
            expect(visible).toEqual([]);
            expect(await readdir(join(root, '.tmp'))).toEqual([]);
            await store.close();
        } finally {
            await rm(root, { recursive: true, force: true });
            if (other !== undefined) await rm(other, { recursive: true, force: true });
        }
    });
});
