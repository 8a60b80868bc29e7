/**
 * The three stores the CLI can write to, each on its real backend, behind one test interface: the
 * URL to `init` with, the environment the CLI child needs, a fresh ObjectStore instance to look at
 * what is visible, the backend's staging area (temp files, multipart uploads) to see bytes in
 * flight, and direct backend access to tamper with objects or take the server down. The servers
 * come from the store packages' own launchers (MinIO built from the Go proxy and cached; a private
 * sshd mounted with sshfs).
 */
import { mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import {
    AbortMultipartUploadCommand,
    GetObjectCommand,
    ListMultipartUploadsCommand,
    ListPartsCommand,
    PutObjectCommand,
    S3Client,
} from '@aws-sdk/client-s3';
import { createLocalStore, type ObjectStore } from '@hyperprov/storage';
import { createS3Store, type S3ObjectStore } from '@hyperprov/storage-s3';
import { createTestBucket, startMinio, type MinioServer } from '@hyperprov/storage-s3/testing';
import { createSshfsStore, mountSshfs, unmountSshfs } from '@hyperprov/storage-sshfs';
import { ensureSshTools, startSshServer, type SshServer } from '@hyperprov/storage-sshfs/testing';
import { sha256OfFile, sha256OfStream } from './big-file.js';

/** Unfinished puts the backend holds right now, and how many bytes it has received for them. */
export interface Staged {
    uploads: number;
    bytes: number;
}

/** One store on its real backend. */
export interface StoreFixture {
    readonly kind: 'file' | 's3' | 'sshfs';
    /** URL for `hyperprov init --store`. */
    readonly url: string;
    /** The `location` records written through this store carry. */
    readonly location: string;
    /** Environment the CLI child needs (credentials). */
    readonly env: NodeJS.ProcessEnv;
    /** A new store instance (own client / own mount check), independent of any CLI process. */
    openStore(): Promise<ObjectStore>;
    /** Unfinished puts in the backend's staging area (temp files, multipart uploads and their parts). */
    staged(): Promise<Staged>;
    /** Flips one byte of a stored object, writing through the backend, not the store. */
    tamper(pointer: string): Promise<void>;
    /** Checksum and size of an object read from the backend itself (file on disk or on the ssh server, raw S3 GET). */
    backendObject(pointer: string): Promise<{ checksum: string; size: number }>;
    /** Stops the server (SIGKILL) at once; only remote stores have one. Call last: it stays down. */
    outage?(): Promise<void>;
    /** Unmounts and mounts again (sshfs only): reads then come through a fresh mount. */
    remount?(): Promise<void>;
    dispose(): Promise<void>;
}

/** A store on a server that the test can take down. */
export type RemoteStoreFixture = StoreFixture & { outage(): Promise<void> };

/** Pointers of every object a fresh instance of the store lists. */
export async function listPointers(fixture: StoreFixture): Promise<string[]> {
    const store = await fixture.openStore();
    try {
        const pointers: string[] = [];
        for await (const info of store.list()) pointers.push(info.pointer);
        return pointers;
    } finally {
        await store.close();
    }
}

/** Checksum and size of an object as a fresh instance of the store reads it. */
export async function readObject(fixture: StoreFixture, pointer: string): Promise<{ checksum: string; size: number }> {
    const store = await fixture.openStore();
    try {
        return await sha256OfStream(await store.get(pointer));
    } finally {
        await store.close();
    }
}

/** Temp files of unfinished puts in a local-layout store directory (`<root>/.tmp/<pid>-<random>.tmp`). */
async function stagedTempFiles(root: string): Promise<Staged> {
    const dir = path.join(root, '.tmp');
    let names: string[];
    try {
        names = (await readdir(dir)).filter((name) => name.endsWith('.tmp'));
    } catch {
        return { uploads: 0, bytes: 0 };
    }
    let bytes = 0;
    for (const name of names) bytes += await stat(path.join(dir, name)).then((info) => info.size, () => 0);
    return { uploads: names.length, bytes };
}

/** Flips the byte in the middle of a file, in place (no whole-file read). */
async function flipByte(file: string): Promise<void> {
    const handle = await open(file, 'r+');
    try {
        const { size } = await handle.stat();
        const at = Math.floor(size / 2);
        const byte = Buffer.alloc(1);
        await handle.read(byte, 0, 1, at);
        byte[0] = byte[0]! ^ 0xff;
        await handle.write(byte, 0, 1, at);
        await handle.sync();
    } finally {
        await handle.close();
    }
}

/** A local directory store at `root`, by default in a fresh temp dir (removed by dispose). */
export async function startLocalStore(root?: string): Promise<StoreFixture> {
    const dir = root === undefined ? await mkdtemp(path.join(tmpdir(), 'hp-e2e-local-')) : undefined;
    root ??= path.join(dir!, 'store');
    const location = pathToFileURL(root).href;
    return {
        kind: 'file',
        url: location,
        location,
        env: {},
        openStore: async () => createLocalStore({ root }),
        staged: () => stagedTempFiles(root),
        tamper: (pointer) => flipByte(path.join(root, pointer)),
        backendObject: (pointer) => sha256OfFile(path.join(root, pointer)),
        dispose: async () => {
            if (dir !== undefined) await rm(dir, { recursive: true, force: true });
        },
    };
}

/** A real MinIO server (built once into the HyperProv cache), a bucket, and a store under a prefix of it. */
export async function startS3Store(): Promise<RemoteStoreFixture & { server: MinioServer }> {
    const server = await startMinio();
    const bucket = 'hp-e2e';
    const prefix = 'projects/e2e';
    try {
        await createTestBucket(server, bucket);
    } catch (error) {
        await server.stop();
        throw error;
    }
    const credentials = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
    const raw = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials });
    const keyOf = (pointer: string): string => `${prefix}/${pointer}`;
    const uploads = async (): Promise<{ Key: string; UploadId: string }[]> => {
        const found: { Key: string; UploadId: string }[] = [];
        let KeyMarker: string | undefined;
        let UploadIdMarker: string | undefined;
        do {
            const page = await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker, UploadIdMarker }));
            // Filtered here: MinIO takes the Prefix parameter of this call as an exact key.
            for (const u of page.Uploads ?? []) if (u.Key?.startsWith(`${prefix}/`) && u.UploadId) found.push({ Key: u.Key, UploadId: u.UploadId });
            KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
            UploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
        } while (KeyMarker !== undefined);
        return found;
    };
    return {
        kind: 's3',
        server,
        url: `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(server.endpoint)}&forcePathStyle=true`,
        location: `s3://${bucket}/${prefix}`,
        env: { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region },
        openStore: async (): Promise<S3ObjectStore> =>
            // staleUploadAgeMs 0: this looking instance must not sweep the uploads it is asked about.
            createS3Store({ bucket, prefix, endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials, staleUploadAgeMs: 0 }),
        staged: async () => {
            let bytes = 0;
            const open = await uploads();
            for (const upload of open) {
                const parts = await raw.send(new ListPartsCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }));
                for (const part of parts.Parts ?? []) bytes += part.Size ?? 0;
            }
            return { uploads: open.length, bytes };
        },
        tamper: async (pointer) => {
            const object = await raw.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(pointer) }));
            const bytes = Buffer.from(await object.Body!.transformToByteArray());
            const at = Math.floor(bytes.length / 2);
            bytes[at] = bytes[at]! ^ 0xff;
            await raw.send(new PutObjectCommand({ Bucket: bucket, Key: keyOf(pointer), Body: bytes, ContentLength: bytes.length }));
        },
        backendObject: async (pointer) => {
            const object = await raw.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(pointer) }));
            return sha256OfStream(object.Body as Readable);
        },
        outage: async () => {
            server.process.kill('SIGKILL');
            if (server.process.exitCode === null && server.process.signalCode === null) {
                await new Promise((resolve) => server.process.once('exit', resolve));
            }
        },
        dispose: async () => {
            // Uploads of killed writers would otherwise outlive nothing but the data dir; abort for tidiness.
            await Promise.all((await uploads().catch(() => [])).map((u) => raw.send(new AbortMultipartUploadCommand({ Bucket: bucket, ...u })).catch(() => {})));
            raw.destroy();
            await server.stop();
        },
    };
}

/** A private sshd on loopback, mounted with sshfs; the store is a directory inside the mount. */
export async function startSshfsStore(): Promise<RemoteStoreFixture & { server: SshServer; mountpoint: string; remount(): Promise<void> }> {
    await ensureSshTools();
    const server = await startSshServer();
    const mountpoint = path.join(server.dir, 'mnt');
    try {
        await mountSshfs(server.mountOptions(mountpoint));
        await mkdir(path.join(mountpoint, 'store'));
    } catch (error) {
        await server.dispose();
        throw error;
    }
    const storeDir = path.join(mountpoint, 'store');
    const serverSide = path.join(server.remoteDir, 'store');
    const location = `sshfs://${storeDir}`;
    return {
        kind: 'sshfs',
        server,
        mountpoint,
        url: location,
        location,
        env: {},
        openStore: () => createSshfsStore({ mountpoint: storeDir }),
        // Read on the server side: what has really arrived, whatever the client caches.
        staged: () => stagedTempFiles(serverSide),
        tamper: (pointer) => flipByte(path.join(serverSide, pointer)),
        backendObject: (pointer) => sha256OfFile(path.join(serverSide, pointer)),
        outage: async () => server.signal('SIGKILL'),
        remount: async () => {
            await unmountSshfs(mountpoint);
            await mountSshfs(server.mountOptions(mountpoint));
        },
        dispose: () => server.dispose(),
    };
}
