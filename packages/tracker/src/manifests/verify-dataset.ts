/**
 * `hyperprov verify <manifest id> --against <dir>`: read the recorded manifest from its store
 * (checked against the record), scan the local copy, and list every difference file by file.
 */
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import type { ObjectStore } from '@hyperprov/storage';
import { compareDataset, type DatasetDiff } from './compare-dataset.js';
import type { DatasetManifest } from './manifest.js';
import { readManifest } from './parse-manifest.js';
import type { ScanOptions } from './scan-dataset.js';

/** Options of {@link verifyDataset}. */
export interface VerifyDatasetOptions extends ScanOptions {
    /**
     * Trust the hash cache for files whose (device, inode, size, mtime) it knows. Default false:
     * verify re-reads every byte, because a deliberate edit can restore a file's mtime.
     */
    useCache?: boolean;
}

/** The outcome of checking a directory against a recorded manifest. */
export interface DatasetVerification extends DatasetDiff {
    record: ProvenanceRecord;
    /** The recorded manifest. */
    manifest: DatasetManifest;
    /** True when the directory holds exactly the recorded files (nothing added, removed or modified). */
    ok: boolean;
}

/**
 * Compares `dir` with the manifest of `record`, read from `store` (the store at
 * `record.location`). Throws INVALID_ARGUMENT if the record is not a dataset manifest,
 * CHECKSUM_MISMATCH if the stored manifest is not the recorded one, scan errors as scanDataset.
 * Differences are not errors: they are listed, and `ok` is false.
 */
export async function verifyDataset(record: ProvenanceRecord, store: ObjectStore, dir: string, options: VerifyDatasetOptions): Promise<DatasetVerification> {
    const manifest = await readManifest(record, store, options.signal ? { signal: options.signal } : {});
    const { useCache, cache, ...rest } = options;
    const diff = await compareDataset(manifest, dir, { ...rest, ...(useCache && cache && { cache }) });
    return { ...diff, record, manifest, ok: diff.identical };
}
