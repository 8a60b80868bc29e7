/**
 * Recording: a file's bytes go into the store first (durable, content-addressed), then one
 * transaction records them. Everything that can be checked before the bytes move is checked
 * first — key, meta, type, dependencies, the file itself — so bad input costs neither an upload
 * nor a transaction. If the transaction still fails, the stored bytes stay content-addressed and
 * unclaimed: no record says anything wrong.
 */
import { stat } from 'node:fs/promises';
import { isValidKey, type JsonValue, type ProvenanceRecord, type RecordInput, type RecordType } from '@hyperprov/chaincode/protocol';
import { checkRecordInput, type ProvenanceClient } from '../client/provenance-client.js';
import { TrackerError, isTrackerError } from '@hyperprov/errors';
import type { IngestResult } from './ingest.js';

/** Options of recording a file. */
export interface RecordFileOptions {
    /** Item name, e.g. `models/resnet50`. */
    key: string;
    /** Record ids (or keys, meaning their latest version) this file was made from. */
    dependencies?: readonly string[];
    meta?: { [key: string]: JsonValue };
    type?: RecordType;
    signal?: AbortSignal;
    /** Bytes read so far, for progress bars. */
    onProgress?: (bytes: number) => void;
    /** Store URL for this file instead of the project's configured store. */
    store?: string;
}

/** A committed record and how it got there. */
export interface RecordResult {
    record: ProvenanceRecord;
    transactionId: string;
    blockNumber: bigint;
    /** False when the store already held these bytes and nothing was uploaded. */
    uploaded: boolean;
    /** True when the store held a damaged copy of these bytes, which the upload replaced. */
    repaired: boolean;
}

/** Streams a file into the store, hashing it on the way; supplied by the tracker. */
export type Ingest = (file: string, options: { signal?: AbortSignal; onProgress?: (bytes: number) => void }) => Promise<IngestResult>;

/**
 * Input of a metadata-only record; dependencies may be ids or keys. Without `size`, the tracker
 * reads it from the store at `location` (see Tracker.put).
 */
export type PutInput = Omit<RecordInput, 'size'> & { size?: number };

const PLACEHOLDER_CHECKSUM = `sha256:${'0'.repeat(64)}`;

/** Records `file`: checks, ingest into the store, then one `set` transaction. */
export async function recordFile(
    client: ProvenanceClient,
    ingest: Ingest,
    storeLocation: string,
    file: string,
    options: RecordFileOptions,
): Promise<RecordResult> {
    // Check everything but the bytes with the contract's rules, before reading a single byte.
    const draft = checkRecordInput({
        key: options.key,
        checksum: PLACEHOLDER_CHECKSUM,
        size: 0,
        location: storeLocation,
        pointer: 'pending',
        ...(options.type !== undefined && { type: options.type }),
        ...(options.meta !== undefined && { meta: options.meta }),
        dependencies: [...(options.dependencies ?? [])],
    });
    await checkFile(file);
    const dependencies = await resolveDependencies(client, draft.dependencies, options.signal);
    const ingested = await ingest(file, {
        ...(options.signal && { signal: options.signal }),
        ...(options.onProgress && { onProgress: options.onProgress }),
    });
    const committed = await client.set(
        { ...draft, checksum: ingested.checksum, size: ingested.size, location: ingested.location, pointer: ingested.pointer, dependencies },
        options.signal ? { signal: options.signal } : {},
    );
    return {
        record: committed.value,
        transactionId: committed.transactionId,
        blockNumber: committed.blockNumber,
        uploaded: !ingested.skipped,
        repaired: ingested.repaired ?? false,
    };
}

/** Records metadata only (bytes stored elsewhere); dependencies may be ids or keys. */
export async function putRecord(client: ProvenanceClient, input: RecordInput, signal?: AbortSignal): Promise<RecordResult> {
    const checked = checkRecordInput(input);
    const dependencies = await resolveDependencies(client, checked.dependencies, signal);
    const committed = await client.set({ ...checked, dependencies }, signal ? { signal } : {});
    return { record: committed.value, transactionId: committed.transactionId, blockNumber: committed.blockNumber, uploaded: false, repaired: false };
}

/**
 * Turns dependency references into record ids: an id on the ledger is kept; otherwise a key
 * means its latest version. Throws DEPENDENCY_NOT_FOUND naming the first unknown reference.
 */
export async function resolveDependencies(client: ProvenanceClient, refs: readonly string[], signal?: AbortSignal): Promise<string[]> {
    const opts = signal ? { signal } : {};
    return Promise.all(
        refs.map(async (ref) => {
            try {
                return (await client.getFromId(ref, opts)).id;
            } catch (error) {
                if (!isTrackerError(error, 'NOT_FOUND') && !isTrackerError(error, 'INVALID_ARGUMENT')) throw error;
            }
            if (isValidKey(ref)) {
                try {
                    return (await client.get(ref, opts)).id;
                } catch (error) {
                    if (!isTrackerError(error, 'NOT_FOUND')) throw error;
                }
            }
            throw new TrackerError(
                'DEPENDENCY_NOT_FOUND',
                `dependency ${JSON.stringify(ref)} is neither a record id nor a recorded key; record it first, or check the id with \`hyperprov show <id>\``,
            );
        }),
    );
}

async function checkFile(file: string): Promise<void> {
    let info;
    try {
        info = await stat(file);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
            throw new TrackerError('NOT_FOUND', `file ${file} does not exist; check the path`, { cause: error });
        }
        throw new TrackerError('INVALID_ARGUMENT', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
    if (!info.isFile()) {
        throw new TrackerError('INVALID_ARGUMENT', `${file} is not a regular file; record files one by one (datasets: record a manifest)`);
    }
}
