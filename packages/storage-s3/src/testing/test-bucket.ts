import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3TestServerInfo } from './minio-server.js';

/** Creates `bucket` on a test server (path-style, the server's root credentials). */
export async function createTestBucket(server: S3TestServerInfo, bucket: string): Promise<void> {
    const client = new S3Client({
        endpoint: server.endpoint,
        region: server.region,
        forcePathStyle: true,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    try {
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
        client.destroy();
    }
}
