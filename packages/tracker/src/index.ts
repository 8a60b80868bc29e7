/**
 * @hyperprov/tracker: the HyperProv SDK. Open a project with {@link openTracker}; use
 * {@link createProvenanceClient} for typed access to any Ledger.
 */
export { openTracker, initTracker } from './tracker.js';
export type {
    Tracker,
    OpenTrackerOptions,
    InitTrackerOptions,
    InitResult,
    VerifyOptions,
    VerifyReport,
    LedgerCheck,
    TrackerStatus,
} from './tracker.js';
export {
    createProvenanceClient,
    checkRecordInput,
    type ProvenanceClient,
    type PageOptions,
    type LineageOptions,
    type Committed,
} from './client/provenance-client.js';
export * from './config/index.js';
export { createStoreRegistry, openStore, parseStoreLocation, SUPPORTED_STORE_SCHEMES, type StoreRegistry } from './storage/registry.js';
export { fromStoreError } from './storage/store-errors.js';
export * from './lineage/index.js';
export { recordFile, putRecord, resolveDependencies, type RecordFileOptions, type RecordResult, type PutInput, type Ingest, type IngestOutcome } from './pipeline/record.js';
export { verifyRecords, verifyRecordBytes, hashStoredObject, type ObjectCheck, type ObjectStatus, type ObjectVerification } from './pipeline/record-verify.js';
export { fetchRecordBytes, type FetchOptions, type FetchResult } from './pipeline/record-fetch.js';
export { TrackerError, isTrackerError, TRACKER_ERROR_CODES, type TrackerErrorCode, type TrackerErrorOptions } from './errors.js';
export type { Ledger, SubmitResult, LedgerEvent, EventOptions, LedgerInfo } from './ledger/ledger.js';
export { EXIT_CODES, ERROR_HINTS } from './cli/exit-codes.js';
export { runCli, type RunCliOptions } from './cli/run.js';
