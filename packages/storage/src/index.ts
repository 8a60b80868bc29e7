export type { ObjectStore, AdoptOptions, PutOptions, PutResult, ObjectInfo, GetOptions } from './object-store.js';
export { VERIFY_EXISTING_UP_TO } from './object-store.js';
export { StoreError, isStoreError, type StoreErrorCode } from './errors.js';
export { createLocalStore, localPointerFor, type LocalStoreOptions } from './local-store.js';
export { CHECKSUM_PATTERN, isChecksum, assertChecksum, sha256Of } from './checksum.js';
export {
    parseStoreUrl,
    formatStoreUrl,
    type StoreUrl,
    type FileStoreUrl,
    type S3StoreUrl,
    type SshfsStoreUrl,
} from './store-url.js';
export { readBody, discardBody, watchInterruption, type PutBody, type Interruption } from './body.js';
export { InFlight } from './in-flight.js';
export { fsyncDirectory, mkdirDurable, removeStaleTempFiles, tempFileName } from './durable-fs.js';
export { toStoreError, errnoCode } from './fs-errors.js';
