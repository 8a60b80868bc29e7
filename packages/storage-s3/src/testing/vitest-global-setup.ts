/**
 * vitest globalSetup: one real MinIO server for the whole test run (built into the HyperProv cache
 * on first use), a bucket on it, and its coordinates handed to tests through `inject('s3')`.
 */
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startMinio, type S3TestServerInfo } from './minio-server.js';
import { createTestBucket } from './test-bucket.js';

/** What tests get from `inject('s3')`. */
export interface S3TestContext extends S3TestServerInfo {
    bucket: string;
}

declare module 'vitest' {
    export interface ProvidedContext {
        s3: S3TestContext;
    }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
    const server = await startMinio();
    try {
        const bucket = 'hyperprov-test';
        await createTestBucket(server, bucket);
        project.provide('s3', {
            endpoint: server.endpoint,
            region: server.region,
            accessKeyId: server.accessKeyId,
            secretAccessKey: server.secretAccessKey,
            bucket,
        });
    } catch (error) {
        await server.stop();
        throw error;
    }
    return () => server.stop();
}
