export { createS3Store, type S3ObjectStore } from './s3-store.js';
export type { S3StoreOptions, S3Credentials } from './s3-store-options.js';
export { toStoreError as s3ErrorToStoreError, type S3ErrorContext } from './s3-errors.js';
