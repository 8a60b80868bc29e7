/** Test and benchmark helpers: a real MinIO server started on demand. Not for production use. */
export {
    MINIO_MODULE,
    MINIO_VERSION,
    ensureMinio,
    hyperprovCacheDir,
    minioBinaryPath,
    startMinio,
    type MinioServer,
    type S3TestServerInfo,
} from './minio-server.js';
export { createTestBucket } from './test-bucket.js';
