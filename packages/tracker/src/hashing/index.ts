/** Hashing: the worker pool, one-read-pass file readers, and the hash cache. */
export { createHashPool, defaultWorkerFile, type HashPool, type HashPoolOptions, type HashPoolStats, type OpenOptions } from './hash-pool.js';
export type { FilePass, FileHash } from './file-pass.js';
export { openHashCache, type HashCache, type HashCacheOptions } from './hash-cache.js';
export { hashFile, type HashFileOptions, type HashFileResult } from './hash-file.js';
export { identityOf, identityKey, sameIdentity, type FileIdentity } from './file-identity.js';
