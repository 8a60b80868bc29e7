/**
 * What must never happen on an SSHFS store: bytes written into the bare mountpoint directory of an
 * unmounted store, or a writer hanging on a dead server. Each test group breaks its own private
 * sshd (the shared one from the global setup stays healthy for the other test files).
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { isStoreError, type StoreError } from '@hyperprov/storage';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkMount } from './check-mount.js';
import { mountSshfs, unmountSshfs } from './mount.js';
import { createSshfsStore, type SshfsStore } from './sshfs-store.js';
import { signalAll, sshfsPidsFor, waitForExit } from './testing/processes.js';
import { startSshServer, type SshServer } from './testing/ssh-server.js';

function body(text: string): Readable {
    return Readable.from([Buffer.from(text)]);
}

/** Runs `action`, expects a StoreError with `code`, and returns it with the time it took. */
async function expectStoreError(action: () => Promise<unknown>, code: string): Promise<{ error: StoreError; ms: number }> {
    const started = performance.now();
    const error = await action().then(
        () => undefined,
        (caught: unknown) => caught,
    );
    const ms = performance.now() - started;
    expect(error, 'the operation should have failed').toBeDefined();
    expect(isStoreError(error) ? error.code : error).toBe(code);
    return { error: error as StoreError, ms };
}

describe('a mountpoint that is not mounted', () => {
    let bare: string;
    beforeAll(async () => {
        bare = await mkdtemp(path.join(os.tmpdir(), 'hyperprov-bare-'));
    });
    afterAll(async () => {
        await rm(bare, { recursive: true, force: true });
    });

    it('is reported as not mounted', async () => {
        await expect(checkMount(bare)).resolves.toMatchObject({ state: 'not-mounted', fstype: expect.any(String) });
    });

    it('cannot be opened as a store, with a message that says how to mount it', async () => {
        const { error } = await expectStoreError(
            () => createSshfsStore({ mountpoint: bare, remote: 'alice@storage.example:/srv/models' }),
            'UNAVAILABLE',
        );
        expect(error.message).toContain('not on an sshfs mount');
        expect(error.message).toContain(`sshfs alice@storage.example:/srv/models ${bare}`);
        expect(await readdir(bare)).toEqual([]);
    });
});

describe('a store whose mount goes away or goes stale', () => {
    let server: SshServer;
    let mountpoint: string;
    let store: SshfsStore | undefined;

    beforeAll(async () => {
        server = await startSshServer();
        mountpoint = path.join(server.dir, 'mnt');
    });
    afterEach(async () => {
        server.signal('SIGCONT');
        await store?.close().catch(() => {});
        store = undefined;
        await unmountSshfs(mountpoint);
    });
    afterAll(async () => {
        await server?.dispose();
    });

    it('refuses to write once unmounted, and nothing lands in the bare directory', async () => {
        await mountSshfs(server.mountOptions(mountpoint));
        store = await createSshfsStore({ mountpoint, remote: server.remote });
        const first = await store.put(body('before unmount'));
        await expect(store.exists(first.pointer)).resolves.toBe(true);

        await unmountSshfs(mountpoint);
        const { error, ms } = await expectStoreError(() => store!.put(body('after unmount')), 'UNAVAILABLE');
        expect(error.message).toContain('Mount it first');
        expect(ms).toBeLessThan(2_000);
        expect(await readdir(mountpoint)).toEqual([]);
        // Reads say "unavailable", not "not found": a missing mount is not a missing object.
        await expectStoreError(() => store!.exists(first.pointer), 'UNAVAILABLE');
        await expectStoreError(() => store!.get(first.pointer), 'UNAVAILABLE');
    });

    it('refuses quickly when sshd was killed, and recovers when it is back (reconnect)', async () => {
        await mountSshfs(server.mountOptions(mountpoint));
        // A generous probe budget: reconnecting (a new SSH handshake) is slow on a loaded machine.
        // The killed server itself is detected at once (EIO), not by the timeout.
        store = await createSshfsStore({ mountpoint, remote: server.remote, probeTimeoutMs: 20_000 });
        await store.put(body('before kill'));

        server.signal('SIGKILL');
        const { error, ms } = await expectStoreError(() => store!.put(body('while dead')), 'UNAVAILABLE');
        expect(error.message).toMatch(/stale/);
        expect(ms).toBeLessThan(5_000);
        await expect(store.checkMount()).resolves.toMatchObject({ state: 'stale' });
        const onServer = await readdir(path.join(server.remoteDir, '.tmp'));
        expect(onServer).toEqual([]);

        await server.restart();
        const after = await store.put(body('after restart'));
        await expect(store.exists(after.pointer)).resolves.toBe(true);
    });

    it('refuses when the sshfs daemon itself died (ENOTCONN), and mount: true replaces the dead mount', async () => {
        await mountSshfs(server.mountOptions(mountpoint));
        store = await createSshfsStore({ mountpoint, remote: server.remote });
        const before = await store.put(body('before sshfs died'));

        const daemons = sshfsPidsFor(mountpoint);
        expect(daemons).toHaveLength(1);
        signalAll(daemons, 'SIGKILL');
        await waitForExit(daemons, 5_000);
        const { error, ms } = await expectStoreError(() => store!.put(body('while sshfs is dead')), 'UNAVAILABLE');
        // The kernel answers ENOTCONN or ECONNABORTED, depending on when it noticed the daemon's end.
        expect(error.message).toMatch(/stale.*(ENOTCONN|ECONNABORTED)/);
        expect(ms).toBeLessThan(2_000);
        await store.close();

        const { port, identityFile, options } = server.mountOptions(mountpoint);
        store = await createSshfsStore({ mountpoint, remote: server.remote, mount: true, port: port!, identityFile: identityFile!, mountOptions: options! });
        await expect(store.exists(before.pointer)).resolves.toBe(true);
        await store.close();
        await expect(checkMount(mountpoint)).resolves.toMatchObject({ state: 'not-mounted' });
    });

    it('refuses within the probe timeout when the server hangs (SIGSTOP), instead of hanging', async () => {
        await mountSshfs(server.mountOptions(mountpoint));
        store = await createSshfsStore({ mountpoint, remote: server.remote, probeTimeoutMs: 1_000 });
        await store.put(body('before stop'));

        server.signal('SIGSTOP');
        const { error, ms } = await expectStoreError(() => store!.put(body('while hung')), 'UNAVAILABLE');
        expect(error.message).toContain('did not answer within 1000 ms');
        expect(ms).toBeLessThan(3_000);
        // A second caller does not pile up another blocked probe; it waits out the same budget.
        const second = await expectStoreError(() => store!.stat('sha256/00/' + '0'.repeat(62)), 'UNAVAILABLE');
        expect(second.ms).toBeLessThan(3_000);

        server.signal('SIGCONT');
        const after = await store.put(body('after continue'));
        await expect(store.exists(after.pointer)).resolves.toBe(true);
    });
});

describe('mount management', () => {
    let server: SshServer;
    let mountpoint: string;

    beforeAll(async () => {
        server = await startSshServer();
        mountpoint = path.join(server.dir, 'managed');
    });
    afterAll(async () => {
        await unmountSshfs(mountpoint).catch(() => {});
        await server?.dispose();
    });

    it('mounts on open with mount: true and unmounts on close', async () => {
        const { port, identityFile, options } = server.mountOptions(mountpoint);
        const store = await createSshfsStore({
            mountpoint,
            remote: server.remote,
            mount: true,
            port: port!,
            identityFile: identityFile!,
            mountOptions: options!,
        });
        await expect(checkMount(mountpoint)).resolves.toMatchObject({ state: 'mounted', source: server.remote });
        const result = await store.put(body('managed'));
        await store.close();
        await store.close();
        await expect(checkMount(mountpoint)).resolves.toMatchObject({ state: 'not-mounted' });
        expect(await readdir(path.join(server.remoteDir, path.dirname(result.pointer)))).toHaveLength(1);
    });

    it('reuses an existing mount with mount: true and leaves it mounted on close', async () => {
        await mountSshfs(server.mountOptions(mountpoint));
        const store = await createSshfsStore({ mountpoint, remote: server.remote, mount: true });
        await store.close();
        await expect(checkMount(mountpoint)).resolves.toMatchObject({ state: 'mounted' });
        await unmountSshfs(mountpoint);
        await unmountSshfs(mountpoint); // a no-op when nothing is mounted
    });

    it('refuses mount: true when another remote is mounted there', async () => {
        await mountSshfs(server.mountOptions(mountpoint));
        const { error } = await expectStoreError(
            () => createSshfsStore({ mountpoint, remote: 'someone@elsewhere:/other', mount: true }),
            'INVALID_ARGUMENT',
        );
        expect(error.message).toContain(`already mounted from ${server.remote}`);
        await unmountSshfs(mountpoint);
    });

    it('refuses to mount over an existing mount', async () => {
        await mountSshfs(server.mountOptions(mountpoint));
        await expectStoreError(() => mountSshfs(server.mountOptions(mountpoint)), 'INVALID_ARGUMENT');
        await unmountSshfs(mountpoint);
    });

    it('fails to mount an unreachable server with UNAVAILABLE and a hint, in bounded time', async () => {
        const target = path.join(server.dir, 'unreachable');
        await mkdir(target, { recursive: true });
        const { error, ms } = await expectStoreError(
            () => mountSshfs({ ...server.mountOptions(target), port: 1 }),
            'UNAVAILABLE',
        );
        expect(error.message).toContain('logs in without a password prompt');
        expect(ms).toBeLessThan(15_000);
        await expect(checkMount(target)).resolves.toMatchObject({ state: 'not-mounted' });
    });

    it('rejects a remote that is not user@host:/path', async () => {
        await expectStoreError(() => mountSshfs({ remote: 'no-colon', mountpoint }), 'INVALID_ARGUMENT');
    });
});
