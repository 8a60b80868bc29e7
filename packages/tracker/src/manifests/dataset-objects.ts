/**
 * The object index of an uploaded dataset: which store object holds the bytes of each SHA-256 in
 * the manifest. Needed because pointers are store-specific and not always derivable from the
 * hash (an S3 upload whose checksum is only known at the end lands under a random key), and kept
 * out of the manifest so the manifest (and its root) describes content only, wherever it is stored.
 *
 * Stored next to the manifest in the same store; the record's `meta.files` names it and carries
 * its checksum, so the ledger vouches for it like for the manifest.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { canonicalJson, type JsonValue, type ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import type { ObjectStore } from '@hyperprov/storage';
import { TrackerError } from '@hyperprov/errors';
import { fromStoreError } from '../stores/store-errors.js';

/** `kind` of an object index. */
export const OBJECTS_KIND = 'hyperprov.dataset-objects' as const;

/** One stored object of a dataset. */
export interface DatasetObject {
    /** 64 lowercase hex digits, as in the manifest. */
    sha256: string;
    /** Object name in the store. */
    pointer: string;
}

/** Object index, schema 1: unique `sha256`s in ascending order. */
export interface DatasetObjects {
    schema: 1;
    kind: typeof OBJECTS_KIND;
    /** URL of the store holding the objects. */
    location: string;
    objects: DatasetObject[];
}

/** What a dataset record's `meta.files` says about its uploaded files. */
export interface DatasetFilesMeta {
    /** Store holding the dataset's files (and the index). */
    location: string;
    /** Pointer of the object index in that store. */
    index: string;
    /** `sha256:<hex>` of the index bytes. */
    checksum: string;
    size: number;
}

/** Builds the index from sha256 -> pointer pairs. */
export function buildDatasetObjects(location: string, pointers: ReadonlyMap<string, string>): DatasetObjects {
    const objects = [...pointers].map(([sha256, pointer]) => ({ sha256, pointer }));
    objects.sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
    return { schema: 1, kind: OBJECTS_KIND, location, objects };
}

/** Reads `meta.files` of a dataset record; undefined when its files were not uploaded. */
export function filesMetaOf(record: ProvenanceRecord | undefined): DatasetFilesMeta | undefined {
    const files = record?.meta?.files as { [key: string]: JsonValue } | undefined;
    if (typeof files !== 'object' || files === null || Array.isArray(files)) return undefined;
    const { location, index, checksum, size } = files;
    if (typeof location !== 'string' || typeof index !== 'string' || typeof checksum !== 'string' || typeof size !== 'number') return undefined;
    return { location, index, checksum, size };
}

/** Stores the index and returns what goes into `meta.files`. */
export async function putDatasetObjects(store: ObjectStore, index: DatasetObjects, signal?: AbortSignal): Promise<DatasetFilesMeta> {
    const bytes = Buffer.from(canonicalJson(index), 'utf8');
    const checksum = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    try {
        const put = await store.put(Readable.from([bytes]), { checksum, size: bytes.length, ...(signal && { signal }) });
        return { location: store.location, index: put.pointer, checksum, size: bytes.length };
    } catch (error) {
        throw fromStoreError(error, `storing the dataset object index in ${store.location}`);
    }
}

/**
 * Reads and checks the object index a dataset record names. Throws NOT_FOUND if the record has
 * no uploaded files, CHECKSUM_MISMATCH if the stored index is not the recorded one.
 */
export async function readDatasetObjects(record: ProvenanceRecord, store: ObjectStore, options: { signal?: AbortSignal } = {}): Promise<Map<string, string>> {
    const files = filesMetaOf(record);
    if (!files) throw new TrackerError('NOT_FOUND', `record ${record.id} (${record.key}) has no uploaded files; record the dataset with --upload`);
    const what = `object index ${files.index} of record ${record.id} in ${files.location}`;
    const chunks: Buffer[] = [];
    const hash = createHash('sha256');
    let size = 0;
    try {
        const body = await store.get(files.index, options.signal ? { signal: options.signal } : {});
        for await (const chunk of body as AsyncIterable<Buffer>) {
            size += chunk.length;
            if (size > files.size) break;
            hash.update(chunk);
            chunks.push(chunk);
        }
    } catch (error) {
        throw fromStoreError(error, what);
    }
    if (size !== files.size || `sha256:${hash.digest('hex')}` !== files.checksum) {
        throw new TrackerError('CHECKSUM_MISMATCH', `${what} does not match the record (${files.checksum}); the stored index was altered or replaced`);
    }
    let parsed: DatasetObjects;
    try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as DatasetObjects;
    } catch (error) {
        throw new TrackerError('INVALID_ARGUMENT', `${what} is not JSON`, { cause: error });
    }
    if (parsed?.kind !== OBJECTS_KIND || parsed.schema !== 1 || !Array.isArray(parsed.objects)) {
        throw new TrackerError('INVALID_ARGUMENT', `${what} is not a schema 1 dataset object index; upgrade hyperprov`);
    }
    return new Map(parsed.objects.map((o) => [o.sha256, o.pointer]));
}
