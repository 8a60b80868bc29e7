/** The one-pass data path: ingest (read once, hash in workers while storing) and the record, verify and fetch steps over it. */
export { ingestFile, type IngestOptions, type IngestResult } from './ingest.js';
export { recordFile, putRecord, resolveDependencies, type RecordFileOptions, type RecordResult, type PutInput, type Ingest } from './record.js';
export { verifyRecords, verifyRecordBytes, hashStoredObject, type ObjectCheck, type ObjectStatus, type ObjectVerification } from './record-verify.js';
export { fetchRecordBytes, type FetchOptions, type FetchResult } from './record-fetch.js';
export { findOrphans, deleteOrphans, DEFAULT_GC_MIN_AGE_MS, type OrphanObject, type OrphanScan, type OrphanDeletion, type FindOrphansOptions } from './store-gc.js';
