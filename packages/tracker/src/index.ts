/**
 * @hyperprov/tracker: the HyperProv SDK. Open a project with {@link openTracker}; use
 * {@link createProvenanceClient} for typed access to any Ledger.
 */
export { initTracker } from './project/init-project.js';
export { openTracker } from './project/open-project.js';
export { enrollIdentity } from './project/enroll-identity.js';
export type {
    Tracker,
    OpenTrackerOptions,
    InitTrackerOptions,
    InitResult,
    EnrollOptions,
    EnrollResult,
    VerifyOptions,
    VerifyReport,
    OrphanSummary,
    GcOptions,
    GcReport,
    LedgerCheck,
    TrackerStatus,
    FileCheck,
    RecordDatasetOptions,
    RecordDatasetResult,
} from './tracker.js';
export type { EpochInput, EpochHandle, EpochResult, EpochState, EpochStatus, FlushResult, EpochSink, RunSummary, RunDetails } from './epoch/epoch-types.js';
export type { ExportFormat, ExportResult } from './answers/export/index.js';
export type { RecordDiff, DatasetComparison, ValueDiff } from './answers/diff-records.js';
export type { ReproduceTarget, ReproduceOptions, ReproduceReport, ReproducedDataset } from './answers/reproduce.js';
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
export { createStoreRegistry, openStore, parseStoreLocation, SUPPORTED_STORE_SCHEMES, type StoreRegistry } from './stores/registry.js';
export { fromStoreError } from './stores/store-errors.js';
export * from './lineage/index.js';
export type { RecordFileOptions, RecordResult, PutInput } from './pipeline/record.js';
export type { ObjectCheck, ObjectStatus, ObjectVerification } from './pipeline/record-verify.js';
export type { FetchOptions, FetchResult } from './pipeline/record-fetch.js';
export { TrackerError, isTrackerError, TRACKER_ERROR_CODES, type TrackerErrorCode, type TrackerErrorOptions } from '@hyperprov/errors';
export type { Ledger, SubmitResult, LedgerEvent, EventOptions, LedgerInfo, LedgerAttention } from '@hyperprov/ledger';
// The layers underneath (hash pool, one-pass ingest, dataset manifests) are separate entries,
// `@hyperprov/tracker/hashing`, `/pipeline` and `/manifests`, so this one stays light to load:
// opening a project for a `get` must not load worker pools or the glob matcher.
