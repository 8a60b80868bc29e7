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
    FileCheck,
    RecordDatasetOptions,
    DatasetRecordResult,
} from './tracker.js';
export { createReleasableLedger, type ReleasableLedger } from './client/releasable-ledger.js';
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
// The layers underneath, for callers that assemble their own pipeline (benches, the watcher).
// The CLI itself (yargs) is deliberately not exported: the SDK entry point stays light.
export { openEmbeddedLedger, LEDGER_FILES, type EmbeddedLedger, type EmbeddedLedgerOptions, type LedgerVerification, type LedgerProblem } from './ledger/embedded/index.js';
export { createLocalIdentity, saveLocalIdentity, loadLocalIdentity, type LocalIdentity, type CreateLocalIdentityOptions } from './identity/index.js';
export { createHashPool, openHashCache, hashFile, type HashPool, type HashPoolOptions, type HashCache, type HashFileOptions, type HashFileResult } from './hashing/index.js';
export { ingestFile, type IngestOptions, type IngestResult } from './pipeline/ingest.js';
