/**
 * Garbage in a store: objects no record references. Bytes go into the store before their record
 * is committed (pipeline/record.ts), so a record that crashes, is killed, or fails at commit
 * leaves its object behind, stored and unclaimed — harmless, but it takes space and nothing else
 * would ever name it. A dataset record references its manifest (its `pointer`), its object index
 * (`meta.files.index`) and every object the index lists.
 *
 * References are matched by pointer alone, whatever a record's location: a pointer is a content
 * address (or a random key), so the same pointer in another store means the same bytes there, and
 * keeping such an object by mistake costs space, never data. An index that cannot be read makes
 * the scan fail: the objects it lists are unknown, so nothing may be called garbage.
 *
 * Objects newer than the minimum age are never deleted: a record may be between its upload and
 * its commit right now (a put that reuses an old object freshens its time for the same reason).
 */
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import type { ObjectStore } from '@hyperprov/storage';
import { TrackerError } from '@hyperprov/errors';
import { filesMetaOf, readDatasetObjects } from '../manifests/dataset-objects.js';
import type { StoreRegistry } from '../stores/registry.js';
import { fromStoreError } from '../stores/store-errors.js';

/** Default minimum age of an object gc may delete: one hour. */
export const DEFAULT_GC_MIN_AGE_MS = 3600_000;

/** An object no record references. */
export interface OrphanObject {
    pointer: string;
    size: number;
    /** When it was last written, if the store knows. */
    modified?: string;
    /** Younger than the minimum age: kept, a record may still be committing it. */
    recent: boolean;
}

/** What a scan of one store found. */
export interface OrphanScan {
    /** The store's location. */
    store: string;
    /** Objects in the store. */
    objects: number;
    /** Objects some record references. */
    referenced: number;
    orphans: OrphanObject[];
    /** Total size of the orphans. */
    orphanBytes: number;
}

/** Options of {@link findOrphans}. */
export interface FindOrphansOptions {
    /** Objects written less than this long ago are `recent` (default one hour). */
    minAgeMs?: number;
    signal?: AbortSignal;
}

/**
 * Lists the objects of `store` that none of `records` references. `registry` opens the stores
 * holding dataset object indexes. Throws (CHECKSUM_MISMATCH, NOT_FOUND, STORE_UNAVAILABLE) when an
 * index cannot be read, naming the dataset record.
 */
export async function findOrphans(
    records: AsyncIterable<ProvenanceRecord> | Iterable<ProvenanceRecord>,
    store: ObjectStore,
    registry: StoreRegistry,
    options: FindOrphansOptions = {},
): Promise<OrphanScan> {
    const minAgeMs = options.minAgeMs ?? DEFAULT_GC_MIN_AGE_MS;
    const referenced = new Set<string>();
    for await (const record of records) {
        options.signal?.throwIfAborted();
        referenced.add(record.pointer);
        const files = filesMetaOf(record);
        if (files === undefined) continue;
        referenced.add(files.index);
        let pointers: Map<string, string>;
        try {
            pointers = await readDatasetObjects(record, await registry.open(files.location), options.signal ? { signal: options.signal } : {});
        } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            const code = error instanceof TrackerError ? error.code : 'STORE_UNAVAILABLE';
            throw new TrackerError(
                code,
                `gc cannot tell which objects dataset ${record.key} (record ${record.id}) uses: ${reason}. Nothing was deleted; ` +
                    `check it with \`hyperprov verify ${record.id}\`, restore its object index or the store, then run gc again`,
                { cause: error },
            );
        }
        for (const pointer of pointers.values()) referenced.add(pointer);
    }
    const now = Date.now();
    const scan: OrphanScan = { store: store.location, objects: 0, referenced: 0, orphans: [], orphanBytes: 0 };
    try {
        for await (const object of store.list()) {
            options.signal?.throwIfAborted();
            scan.objects++;
            if (referenced.has(object.pointer)) {
                scan.referenced++;
                continue;
            }
            scan.orphans.push({
                pointer: object.pointer,
                size: object.size,
                ...(object.modified && { modified: object.modified.toISOString() }),
                recent: isRecent(object.modified, now, minAgeMs),
            });
            scan.orphanBytes += object.size;
        }
    } catch (error) {
        if (error instanceof TrackerError) throw error;
        throw fromStoreError(error, `listing ${store.location}`);
    }
    return scan;
}

/** What {@link deleteOrphans} removed. */
export interface OrphanDeletion {
    deleted: number;
    deletedBytes: number;
}

/**
 * Deletes the orphans of `scan` that are not recent. Each is looked at again just before: one
 * that a put reused meanwhile (and so freshened) is kept.
 */
export async function deleteOrphans(scan: OrphanScan, store: ObjectStore, options: FindOrphansOptions = {}): Promise<OrphanDeletion> {
    const minAgeMs = options.minAgeMs ?? DEFAULT_GC_MIN_AGE_MS;
    const result: OrphanDeletion = { deleted: 0, deletedBytes: 0 };
    for (const orphan of scan.orphans) {
        if (orphan.recent) continue;
        options.signal?.throwIfAborted();
        try {
            const info = await store.stat(orphan.pointer);
            if (isRecent(info.modified, Date.now(), minAgeMs)) {
                orphan.recent = true;
                continue;
            }
            await store.delete(orphan.pointer);
        } catch (error) {
            const translated = fromStoreError(error, `deleting ${orphan.pointer} from ${store.location}`);
            if (translated.code === 'NOT_FOUND') continue; // gone already
            throw translated;
        }
        result.deleted++;
        result.deletedBytes += orphan.size;
    }
    return result;
}

/** Without a modification time an object is never old enough: it is kept. */
function isRecent(modified: Date | undefined, now: number, minAgeMs: number): boolean {
    return minAgeMs > 0 && (modified === undefined || now - modified.getTime() < minAgeMs);
}
