/**
 * `hyperprov dataset <dir> --key K [--upload]`, below the ledger layer: scan the directory into a
 * manifest, compare with the latest manifest recorded for the key, and if something changed put
 * the manifest (and with `upload` the files, plus their object index) durably into the store,
 * returning the RecordInput the caller submits. Nothing here submits a transaction: the latest
 * record comes in through the small {@link LatestRecordSource} interface (a ProvenanceClient
 * fits), and the submit stays with the caller, after every byte is durable.
 *
 * Re-running on an unchanged directory reads no file (the hash cache answers), calls the store
 * not at all, and records nothing.
 */
import { Readable } from 'node:stream';
import { canonicalJson, parseContractError, validateRecordInput, type JsonValue, type ProvenanceRecord, type RecordInput, type RecordType } from '@hyperprov/chaincode/protocol';
import type { ObjectStore } from '@hyperprov/storage';
import { TrackerError, isTrackerError } from '@hyperprov/errors';
import type { HashCache, HashPool } from '../hashing/index.js';
import type { IngestResult } from '../pipeline/ingest.js';
import { fromStoreError } from '../stores/store-errors.js';
import { buildDatasetObjects, filesMetaOf, putDatasetObjects, type DatasetFilesMeta } from './dataset-objects.js';
import { datasetFileError } from './dataset-hasher.js';
import { diffManifests, type ManifestDiff } from './diff-manifests.js';
import { MANIFEST_KIND, serializeManifest, type DatasetManifest } from './manifest.js';
import { readManifest } from './parse-manifest.js';
import { scanDataset, walkDataset, type FileOutcome, type ScanOptions, type SkippedEntry } from './scan-dataset.js';

/** Where the latest record of a key comes from. `ProvenanceClient` satisfies it as is. */
export interface LatestRecordSource {
    /** The latest record of `key`; rejects with TrackerError NOT_FOUND when there is none. */
    get(key: string, options?: { signal?: AbortSignal }): Promise<ProvenanceRecord>;
}

/**
 * Streams one file into a store, hashing it on the way. Pass `ingestFile` from
 * `pipeline/ingest.ts`; it is a parameter because the pipeline layer sits above manifests.
 */
export type DatasetIngest = (
    file: string,
    store: ObjectStore,
    options: { pool: HashPool; cache?: HashCache; signal?: AbortSignal },
) => Promise<IngestResult>;

/** Options of {@link prepareDatasetRecord}. */
export interface PrepareDatasetOptions extends ScanOptions {
    /** Item name of the dataset, e.g. `datasets/idenprof/train`. */
    key: string;
    /** Where the manifest (and with `upload` the files) go; its URL becomes the record's location. */
    store: ObjectStore;
    /** The ledger, read-only: the latest record of `key`. */
    records: LatestRecordSource;
    /** Also store every dataset file (default false: only the manifest). */
    upload?: boolean;
    /** Required with `upload`: `ingestFile` from pipeline/ingest.ts. */
    ingest?: DatasetIngest;
    /**
     * With `upload`: `ingest` adopts the files (the tracker's own snapshot directory, whose files
     * become the objects by a link; a store that cannot link gets them put in the same one read),
     * so uploading costs no more than the scan. They are then ingested at once, in one read, even
     * when the latest record's files are in this store, instead of a scan first and a second read
     * of whatever changed.
     */
    adopting?: boolean;
    /** Record ids the dataset was made from. Non-empty and different from the previous version's: a new version even if no file changed. */
    dependencies?: readonly string[];
    /**
     * Extra meta; the keys kind, count, totalSize, root and files are set by this function. Given
     * and different from the previous version's: a new version even if no file changed.
     */
    meta?: { [key: string]: JsonValue };
    /** Default `record`. */
    type?: RecordType;
}

/** Upload counters, per file. */
export interface UploadSummary {
    /** Files whose bytes were sent to the store. */
    transferred: number;
    /** Files the store already held. */
    skipped: number;
    /** Bytes of the transferred files. */
    bytes: number;
}

/** Nothing changed since the latest record of the key: nothing was stored, nothing must be recorded. */
export interface DatasetUnchanged {
    status: 'unchanged';
    /** The latest record, whose root equals the directory's. */
    record: ProvenanceRecord;
    manifest: DatasetManifest;
    skipped: SkippedEntry[];
}

/** A new dataset version: the manifest (and files) are durable in the store; submit `input`. */
export interface DatasetChanged {
    status: 'changed';
    /** Submit this with `set` (the caller may add dependencies it resolved). */
    input: RecordInput;
    manifest: DatasetManifest;
    /** The stored manifest file. */
    manifestObject: { pointer: string; checksum: string; size: number; location: string };
    /** The key's latest record before this one, if any. */
    previous?: ProvenanceRecord;
    /** Changes since `previous`, when its manifest could be read from this store. */
    changes?: ManifestDiff;
    /** With `upload`: per-file counters and the object index stored. */
    upload?: UploadSummary & { files: DatasetFilesMeta };
    skipped: SkippedEntry[];
}

export type PreparedDataset = DatasetUnchanged | DatasetChanged;

/** Meta keys this module owns on dataset records. */
const RESERVED_META = ['kind', 'count', 'totalSize', 'root', 'files'];
const PLACEHOLDER_CHECKSUM = `sha256:${'0'.repeat(64)}`;

/**
 * Builds the manifest of `dir` and, if it differs from the latest one recorded for `options.key`
 * (or with `upload`, if the files are not yet in this store), stores it and returns the record to
 * submit. Throws INVALID_ARGUMENT for bad key/meta/dependencies (before reading any file) or when
 * the key already holds something that is not a dataset manifest; scan errors as scanDataset;
 * store errors translated (STORE_UNAVAILABLE, …).
 */
export async function prepareDatasetRecord(dir: string, options: PrepareDatasetOptions): Promise<PreparedDataset> {
    const { store, upload = false, signal } = options;
    const draft = checkInput(options);
    if (upload && typeof options.ingest !== 'function') {
        throw new TrackerError('INVALID_ARGUMENT', 'uploading dataset files needs options.ingest (ingestFile from pipeline/ingest.ts)');
    }
    const previous = await latest(options.records, options.key, signal);
    const filesHere = filesMetaOf(previous)?.location === store.location;

    let manifest: DatasetManifest;
    let skipped: SkippedEntry[];
    let uploaded: Map<string, IngestResult> | undefined;
    if (upload && (!filesHere || options.adopting === true)) {
        // The files must go to this store whatever the scan says (or going there costs no more
        // than the scan): hash them while uploading, one read each.
        ({ manifest, skipped, outcomes: uploaded } = await ingestAll(dir, options));
    } else {
        ({ manifest, skipped } = await scanDataset(dir, options));
    }
    if (previous !== undefined && previous.meta.root === manifest.root && (!upload || filesHere) && sameDescription(previous, options, draft)) {
        return { status: 'unchanged', record: previous, manifest, skipped };
    }
    if (upload && uploaded === undefined) {
        // Changed, and the previous files are here: the scan just cached every hash, so unchanged
        // files are skipped by the store without being read; only new content is sent.
        ({ manifest, skipped, outcomes: uploaded } = await ingestAll(dir, options));
    }

    let files: (UploadSummary & { files: DatasetFilesMeta }) | undefined;
    if (uploaded !== undefined) {
        const pointers = new Map<string, string>();
        const summary: UploadSummary = { transferred: 0, skipped: 0, bytes: 0 };
        for (const outcome of uploaded.values()) {
            pointers.set(outcome.checksum.slice('sha256:'.length), outcome.pointer);
            if (outcome.skipped) summary.skipped++;
            else {
                summary.transferred++;
                summary.bytes += outcome.size;
            }
        }
        files = { ...summary, files: await putDatasetObjects(store, buildDatasetObjects(store.location, pointers), signal) };
    }

    const serialized = serializeManifest(manifest);
    let pointer: string;
    try {
        const put = await store.put(Readable.from([serialized.bytes]), { checksum: serialized.checksum, size: serialized.size, ...(signal && { signal }) });
        pointer = put.pointer;
    } catch (error) {
        throw fromStoreError(error, `storing the manifest of ${dir} in ${store.location}`);
    }

    const meta: { [key: string]: JsonValue } = {
        ...draft.meta,
        kind: MANIFEST_KIND,
        count: manifest.count,
        totalSize: manifest.totalSize,
        root: manifest.root,
        ...(files && { files: { ...files.files } }),
    };
    const input: RecordInput = {
        key: options.key,
        checksum: serialized.checksum,
        size: serialized.size,
        location: store.location,
        pointer,
        type: draft.type,
        meta,
        dependencies: draft.dependencies,
    };
    const changes = previous !== undefined ? await changesSince(previous, manifest, store, signal) : undefined;
    return {
        status: 'changed',
        input,
        manifest,
        manifestObject: { pointer, checksum: serialized.checksum, size: serialized.size, location: store.location },
        ...(previous && { previous }),
        ...(changes && { changes }),
        ...(files && { upload: files }),
        skipped,
    };
}

/** Checks key, meta, type and dependencies with the contract's own rules, before any file is read. */
function checkInput(options: PrepareDatasetOptions): Required<RecordInput> {
    const meta = options.meta ?? {};
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new TrackerError('INVALID_ARGUMENT', 'meta must be a JSON object');
    const clash = RESERVED_META.filter((k) => Object.hasOwn(meta, k));
    if (clash.length > 0) {
        throw new TrackerError('INVALID_ARGUMENT', `meta key(s) ${clash.join(', ')} are set by hyperprov dataset; use other names`);
    }
    // Our own meta keys with their largest plausible values, so an oversize user meta fails now, not after uploading.
    const probe = {
        ...meta,
        kind: MANIFEST_KIND,
        count: Number.MAX_SAFE_INTEGER,
        totalSize: Number.MAX_SAFE_INTEGER,
        root: PLACEHOLDER_CHECKSUM,
        ...(options.upload && {
            files: { location: options.store.location, index: 'x'.repeat(1024), checksum: PLACEHOLDER_CHECKSUM, size: Number.MAX_SAFE_INTEGER },
        }),
    };
    try {
        const checked = validateRecordInput({
            key: options.key,
            checksum: PLACEHOLDER_CHECKSUM,
            size: 0,
            location: options.store.location,
            pointer: 'pending',
            type: options.type ?? 'record',
            meta: probe,
            dependencies: [...(options.dependencies ?? [])],
        });
        return { ...checked, meta };
    } catch (error) {
        const parsed = error instanceof Error ? parseContractError(error.message) : undefined;
        if (parsed) throw new TrackerError('INVALID_ARGUMENT', parsed.message, { cause: error });
        throw new TrackerError('INTERNAL', `checking the dataset record failed unexpectedly: ${(error as Error).message}`, { cause: error });
    }
}

/**
 * Whether what the caller says about the dataset (meta, dependencies, type) matches the previous
 * version. Only what the caller gave counts — an empty dependency list and the default type
 * `record` count as not given — so re-running a plain `hyperprov dataset` does not erase old meta
 * or dependencies, while new meta or a new dependency on the same bytes is worth a new version.
 */
function sameDescription(previous: ProvenanceRecord, options: PrepareDatasetOptions, draft: Required<RecordInput>): boolean {
    if (options.type !== undefined && options.type !== 'record' && previous.type !== draft.type) return false;
    if (options.dependencies !== undefined && options.dependencies.length > 0) {
        const before = [...new Set(previous.dependencies)].sort();
        const after = [...new Set(draft.dependencies)].sort();
        if (before.length !== after.length || before.some((id, i) => id !== after[i])) return false;
    }
    if (options.meta !== undefined) {
        const before = Object.fromEntries(Object.entries(previous.meta).filter(([k]) => !RESERVED_META.includes(k)));
        if (canonicalJson(before) !== canonicalJson(draft.meta)) return false;
    }
    return true;
}

async function latest(records: LatestRecordSource, key: string, signal: AbortSignal | undefined): Promise<ProvenanceRecord | undefined> {
    let record: ProvenanceRecord;
    try {
        record = await records.get(key, signal ? { signal } : {});
    } catch (error) {
        if (isTrackerError(error, 'NOT_FOUND')) return undefined;
        throw error;
    }
    if (record.meta?.kind !== MANIFEST_KIND) {
        throw new TrackerError('INVALID_ARGUMENT', `key ${key} already holds records that are not dataset manifests (latest: ${record.id}); choose another key for the dataset`);
    }
    return record;
}

function ingestAll(dir: string, options: PrepareDatasetOptions) {
    const { store, pool, cache } = options;
    const ingest = options.ingest!;
    return walkDataset(dir, options, async (file, relative, signal) => {
        try {
            return await ingest(file, store, { pool, ...(cache && { cache }), signal });
        } catch (error) {
            throw datasetFileError(error, file, relative);
        }
    });
}

/** Diff from the previous version, when its manifest is readable from this store; else undefined. */
async function changesSince(previous: ProvenanceRecord, manifest: DatasetManifest, store: ObjectStore, signal: AbortSignal | undefined): Promise<ManifestDiff | undefined> {
    if (previous.location !== store.location) return undefined;
    try {
        return diffManifests(await readManifest(previous, store, signal ? { signal } : {}), manifest);
    } catch {
        // The diff is a courtesy for the output; a lost or altered old manifest must not block
        // recording the new version (`verify` is where that gets reported).
        return undefined;
    }
}
