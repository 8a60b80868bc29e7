/**
 * Dataset manifests: scan a directory into a manifest, compare, record and verify datasets.
 *
 * Wiring for `hyperprov dataset <dir> --key K [--upload]` (pool, cache, store and client are the
 * tracker's; the submit stays with the caller, after the bytes are durable):
 * ```ts
 * const result = await prepareDatasetRecord(dir, { key, store, records: client, pool, cache, upload, ingest: ingestFile });
 * const record = result.status === 'unchanged' ? result.record : (await client.set(result.input)).value;
 * ```
 * and for `hyperprov verify <manifest id> --against <dir>`:
 * ```ts
 * const record = await client.getFromId(id);
 * const report = await verifyDataset(record, storeFor(record.location), dir, { pool });
 * // report.ok, report.added / removed / modified (manifest path order); exit non-zero unless ok
 * ```
 */
export {
    MANIFEST_SCHEMA,
    MANIFEST_KIND,
    buildManifest,
    compareUtf8,
    serializeManifest,
    serializeManifestChunks,
    type DatasetManifest,
    type ManifestEntry,
    type SerializedManifest,
} from './manifest.js';
export { parseManifest, readManifest } from './parse-manifest.js';
export { scanDataset, datasetRoot, type ScanOptions, type ScanProgress, type ScanResult, type SkippedEntry } from './scan-dataset.js';
export type { HashResources } from './dataset-hasher.js';
export { diffManifests, type ManifestDiff, type ModifiedEntry } from './diff-manifests.js';
export { compareDataset, type DatasetDiff } from './compare-dataset.js';
export {
    prepareDatasetRecord,
    type PrepareDatasetOptions,
    type PreparedDataset,
    type DatasetChanged,
    type DatasetUnchanged,
    type DatasetIngest,
    type LatestRecordSource,
    type UploadSummary,
} from './prepare-dataset.js';
export { verifyDataset, type VerifyDatasetOptions, type DatasetVerification } from './verify-dataset.js';
export { readDatasetObjects, filesMetaOf, OBJECTS_KIND, type DatasetFilesMeta, type DatasetObjects } from './dataset-objects.js';
export { restoreDataset, type RestoreDatasetOptions, type RestoreDatasetResult } from './restore-dataset.js';
