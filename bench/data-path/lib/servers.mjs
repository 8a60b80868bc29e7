// The servers every figure runs against, started with the same helpers the packages' integration
// tests use: a real MinIO on 127.0.0.1 (@hyperprov/storage-s3/testing; built with `go install` into
// the HyperProv cache on first use) and a private sshd on a loopback port with an sshfs mount of
// its directory (@hyperprov/storage-sshfs/testing; openssh-server and sshfs installed with apt-get
// if missing).
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mountSshfs, unmountSshfs } from '@hyperprov/storage-sshfs';
import { ensureSshTools, startSshServer } from '@hyperprov/storage-sshfs/testing';
import { createTestBucket, startMinio } from '@hyperprov/storage-s3/testing';
import path from 'node:path';

export const BUCKET = 'bench';

/** Starts MinIO and makes the bucket. Sets the AWS credential env vars, which the tracker's S3 store and DVC read. */
export async function startS3() {
    const server = await startMinio();
    await createTestBucket(server, BUCKET);
    process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
    process.env.AWS_REGION = server.region;
    const client = new S3Client({
        endpoint: server.endpoint,
        region: server.region,
        forcePathStyle: true,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    return {
        server,
        client,
        endpoint: server.endpoint,
        /** A tracker store URL for `prefix` in the bench bucket. */
        storeUrl: (prefix) =>
            `s3://${BUCKET}/${prefix}?endpoint=${encodeURIComponent(server.endpoint)}&region=${server.region}&forcePathStyle=true`,
        /** Deletes every object under `prefix` (keeps MinIO's disk use bounded between figures). */
        async empty(prefix) {
            let token;
            do {
                const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/`, ContinuationToken: token }));
                const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
                if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys, Quiet: true } }));
                token = page.IsTruncated ? page.NextContinuationToken : undefined;
            } while (token);
        },
        async stop() {
            client.destroy();
            await server.stop();
        },
    };
}

/** Starts the private sshd and mounts its directory with the library's default sshfs options. */
export async function startSshfs(log) {
    await ensureSshTools(log);
    const server = await startSshServer();
    const mountpoint = path.join(server.dir, 'mnt');
    await mountSshfs(server.mountOptions(mountpoint));
    return {
        server,
        mountpoint,
        async stop() {
            await unmountSshfs(mountpoint).catch(() => {});
            await server.dispose();
        },
    };
}
