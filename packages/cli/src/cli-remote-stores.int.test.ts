/**
 * The CLI with the remote stores the registry opens by URL, against real servers started here:
 * MinIO (S3) and a private sshd mounted with sshfs, both from the store packages' test helpers
 * (installed into the HyperProv cache on first use, reused after).
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMinio, createTestBucket, type MinioServer } from '@hyperprov/storage-s3/testing';
import { mountSshfs, unmountSshfs } from '@hyperprov/storage-sshfs';
import { ensureSshTools, startSshServer, type SshServer } from '@hyperprov/storage-sshfs/testing';
import { EXIT_CODES } from '@hyperprov/errors';
import { ensureCliBuilt, runHyperprov, type CliRun } from './testing/cli-process.js';

beforeAll(() => ensureCliBuilt(), 180_000);

/** init, record, verify, fetch and tamper-free round trip through one store URL. */
async function roundTrip(project: string, store: string, env: NodeJS.ProcessEnv = {}): Promise<{ hp: (...args: string[]) => Promise<CliRun>; record: any }> {
    const hp = (...args: string[]) => runHyperprov(args, { cwd: project, env });
    const init = await hp('init', '--store', store, '--json');
    expect(init.code, init.stdout + init.stderr).toBe(0);
    const bytes = randomBytes(3 * 1024 * 1024 + 5);
    await writeFile(path.join(project, 'model.pt'), bytes);
    const recorded = await hp('record', 'model.pt', '--key', 'models/remote', '--json');
    expect(recorded.code, recorded.stdout + recorded.stderr).toBe(0);
    const record = recorded.json();
    expect(record.size).toBe(bytes.length);
    const verify = await hp('verify', '--all', '--ledger', '--json');
    expect(verify.code, verify.stdout).toBe(0);
    expect(verify.json().objects).toMatchObject({ ok: true, checked: 1, problems: [] });
    const fetched = await hp('fetch', 'models/remote', 'copy.pt', '--json');
    expect(fetched.code, fetched.stdout).toBe(0);
    // Buffer.equals: vitest's deep equality walks a Buffer byte by byte, which takes seconds per MiB.
    expect((await readFile(path.join(project, 'copy.pt'))).equals(bytes)).toBe(true);
    return { hp, record };
}

describe('S3 store (MinIO)', { timeout: 120_000 }, () => {
    let server: MinioServer;
    let project: string;
    beforeAll(async () => {
        server = await startMinio();
        await createTestBucket(server, 'hp-cli');
        project = await mkdtemp(path.join(tmpdir(), 'hp-cli-s3-'));
    }, 600_000);
    afterAll(async () => {
        await server?.stop();
        if (project) await rm(project, { recursive: true, force: true });
    });

    it('records into s3://, verifies and fetches; a wrong endpoint is STORE_UNAVAILABLE', async () => {
        const env = { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region };
        const url = `s3://hp-cli/projects/one?endpoint=${encodeURIComponent(server.endpoint)}&forcePathStyle=true`;
        const { hp, record } = await roundTrip(project, url, env);
        expect(record.location).toBe('s3://hp-cli/projects/one');

        const other = await mkdtemp(path.join(tmpdir(), 'hp-cli-s3-down-'));
        try {
            const down = (...args: string[]) => runHyperprov(args, { cwd: other, env });
            expect((await down('init', '--store', 's3://hp-cli/x?endpoint=http%3A%2F%2F127.0.0.1%3A9&forcePathStyle=true', '--json')).code).toBe(0);
            await writeFile(path.join(other, 'f.bin'), 'bytes');
            const failed = await down('record', 'f.bin', '--key', 'k', '--json');
            expect(failed.code, failed.stdout).toBe(EXIT_CODES.STORE_UNAVAILABLE);
            expect((await down('status', '--json')).json().ledger.height).toBe('1');
        } finally {
            await rm(other, { recursive: true, force: true });
        }
        expect((await hp('get', 'models/remote', '--json')).json()).toEqual(record);
    });
});

describe('SSHFS store (private sshd + sshfs mount)', { timeout: 120_000 }, () => {
    let server: SshServer;
    let project: string;
    let mountpoint: string;
    beforeAll(async () => {
        await ensureSshTools();
        server = await startSshServer();
        mountpoint = path.join(server.dir, 'mnt');
        await mountSshfs(server.mountOptions(mountpoint));
        project = await mkdtemp(path.join(tmpdir(), 'hp-cli-sshfs-'));
    }, 600_000);
    afterAll(async () => {
        await unmountSshfs(mountpoint).catch(() => undefined);
        await server?.dispose();
        if (project) await rm(project, { recursive: true, force: true });
    });

    it('records into sshfs://, verifies and fetches; a flipped byte on the server fails verify', async () => {
        await mkdir(path.join(mountpoint, 'store'));
        const { hp, record } = await roundTrip(project, `sshfs://${mountpoint}/store`);
        expect(record.location).toBe(`sshfs://${mountpoint}/store`);

        // Tamper behind the mount's back, on the server side.
        const onServer = path.join(server.remoteDir, 'store', record.pointer);
        await chmod(onServer, 0o644);
        const bytes = await readFile(onServer);
        bytes[10] = bytes[10]! ^ 0xff;
        await writeFile(onServer, bytes);
        const verify = await hp('verify', 'models/remote', '--json');
        expect(verify.code).toBe(EXIT_CODES.CHECKSUM_MISMATCH);
        expect(verify.json().objects.problems).toEqual([expect.objectContaining({ id: record.id, status: 'mismatch' })]);

        // Unmounted: the store refuses instead of writing into the bare directory.
        await unmountSshfs(mountpoint);
        await writeFile(path.join(project, 'later.bin'), 'later');
        const refused = await hp('record', 'later.bin', '--key', 'k/later', '--json');
        expect(refused.code, refused.stdout).toBe(EXIT_CODES.STORE_UNAVAILABLE);
        expect(refused.json().error.message).toMatch(/mount/i);
    });
});
