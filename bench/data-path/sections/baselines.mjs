// The plain tools HyperProv is compared with, each moving the same bytes without hashing or
// recording anything.
import { createReadStream } from 'node:fs';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { run } from '../lib/exec.mjs';
import { BUCKET } from '../lib/servers.mjs';

/** `cp` of a file (the SSHFS target's baseline). */
export const cp = (source, target) => run('cp', [source, target]);

/** `cp` then `sync` of the copy: what a durable copy costs (HyperProv fsyncs before it records). */
export const cpSync = (source, target) => run('sh', ['-c', 'cp "$1" "$2" && sync "$2"', 'cp-sync', source, target]);

/**
 * A plain @aws-sdk/lib-storage Upload of the file, SDK defaults (5 MiB parts, 4 in flight, the
 * SDK's default CRC32 part checksums), no SHA-256: the S3 target's baseline.
 */
export async function plainUpload(s3, file, key) {
    await new Upload({ client: s3.client, params: { Bucket: BUCKET, Key: key, Body: createReadStream(file) } }).done();
}

export async function deletePlain(s3, key) {
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
}
