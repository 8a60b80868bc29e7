/**
 * Verifying stored bytes against their records: re-hash every object a record points to and
 * compare checksum and size. The hash is computed from the bytes as the store returns them now,
 * never from a cache, because verify exists to catch bytes that changed behind our back.
 */
import { createHash } from 'node:crypto';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { isTrackerError } from '@hyperprov/errors';
import type { StoreRegistry } from '../stores/registry.js';
import { fromStoreError } from '../stores/store-errors.js';

/** Outcome for one record's bytes. */
export type ObjectStatus =
    /** Bytes hash to the recorded checksum and size. */
    | 'ok'
    /** Bytes differ from the record. */
    | 'mismatch'
    /** The store has no object under the pointer. */
    | 'missing'
    /** The store could not be reached. */
    | 'unavailable'
    /** This build cannot read the location (unsupported scheme, pointer not from a store): not a failure. */
    | 'unchecked';

/** The check of one record's bytes. */
export interface ObjectCheck {
    id: string;
    key: string;
    location: string;
    pointer: string;
    status: ObjectStatus;
    /** Recorded checksum. */
    expected: string;
    /** Checksum of the bytes found, when they could be read. */
    actual?: string;
    expectedSize: number;
    actualSize?: number;
    /** Why it failed or was not checked. */
    message?: string;
}

/** Summary of an object verification. */
export interface ObjectVerification {
    ok: boolean;
    /** Records whose bytes were checked (ok or not). */
    checked: number;
    /** Every record that is not ok (unchecked ones included, flagged as such). */
    problems: ObjectCheck[];
}

/** Hashes an object as the store returns it now. */
export async function hashStoredObject(
    registry: StoreRegistry,
    location: string,
    pointer: string,
    signal?: AbortSignal,
): Promise<{ checksum: string; size: number }> {
    const store = await registry.open(location);
    const hash = createHash('sha256');
    let size = 0;
    try {
        const body = await store.get(pointer, signal ? { signal } : {});
        for await (const chunk of body as AsyncIterable<Buffer>) {
            hash.update(chunk);
            size += chunk.length;
        }
    } catch (error) {
        throw fromStoreError(error, `${location} ${pointer}`);
    }
    return { checksum: `sha256:${hash.digest('hex')}`, size };
}

/** What was found at one object, before it is told in terms of a record. */
interface ObjectOutcome {
    status: ObjectStatus;
    actual?: string;
    actualSize?: number;
    /** Why it could not be read (unchecked, unavailable). */
    reason?: string;
}

/** The fields of a record that name its object; records sharing all of them share one check. */
type ObjectRef = Pick<ProvenanceRecord, 'location' | 'pointer' | 'checksum' | 'size'>;

/** Re-hashes one object and compares it with the checksum and size recorded for it. */
async function checkObject(ref: ObjectRef, registry: StoreRegistry, signal?: AbortSignal): Promise<ObjectOutcome> {
    try {
        const { checksum, size } = await hashStoredObject(registry, ref.location, ref.pointer, signal);
        const status = checksum === ref.checksum && size === ref.size ? 'ok' : 'mismatch';
        return { status, actual: checksum, actualSize: size };
    } catch (error) {
        if (isTrackerError(error, 'NOT_FOUND')) return { status: 'missing' };
        if (isTrackerError(error, 'INVALID_ARGUMENT')) return { status: 'unchecked', reason: error.message };
        if (isTrackerError(error, 'ABORTED')) throw error;
        return { status: 'unavailable', reason: error instanceof Error ? error.message : String(error) };
    }
}

/** The outcome for `record`, its message naming that record (not another one sharing the object). */
function describeCheck(record: ProvenanceRecord, outcome: ObjectOutcome): ObjectCheck {
    const check: ObjectCheck = {
        id: record.id,
        key: record.key,
        location: record.location,
        pointer: record.pointer,
        status: outcome.status,
        expected: record.checksum,
        ...(outcome.actual !== undefined && { actual: outcome.actual }),
        expectedSize: record.size,
        ...(outcome.actualSize !== undefined && { actualSize: outcome.actualSize }),
    };
    switch (outcome.status) {
        case 'mismatch':
            check.message = `bytes of ${record.key} (record ${record.id}) at ${record.location} ${record.pointer} hash to ${outcome.actual} (${outcome.actualSize} bytes); the record says ${record.checksum} (${record.size} bytes)`;
            break;
        case 'missing':
            check.message = `object ${record.pointer} of ${record.key} (record ${record.id}) is missing from ${record.location}`;
            break;
        case 'unchecked':
            check.message = `cannot read ${record.location} ${record.pointer} with this build: ${outcome.reason}`;
            break;
        case 'unavailable':
            check.message = `could not read ${record.pointer} from ${record.location}: ${outcome.reason}`;
            break;
        case 'ok':
            break;
    }
    return check;
}

/** Checks one record's bytes; never throws for problems of the bytes, only reports them. */
export async function verifyRecordBytes(record: ProvenanceRecord, registry: StoreRegistry, signal?: AbortSignal): Promise<ObjectCheck> {
    return describeCheck(record, await checkObject(record, registry, signal));
}

/**
 * Checks the bytes of every record `records` yields, `concurrency` at a time; records sharing the
 * same object (same location, pointer and checksum) are hashed once.
 */
export async function verifyRecords(
    records: AsyncIterable<ProvenanceRecord> | Iterable<ProvenanceRecord>,
    registry: StoreRegistry,
    options: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<ObjectVerification> {
    const concurrency = Math.max(1, options.concurrency ?? 2);
    const byObject = new Map<string, Promise<ObjectOutcome>>();
    const checks: Promise<ObjectCheck>[] = [];
    const running = new Set<Promise<unknown>>();
    for await (const record of records) {
        const objectKey = `${record.location}\u0000${record.pointer}\u0000${record.checksum}\u0000${record.size}`;
        let shared = byObject.get(objectKey);
        if (!shared) {
            // Bound the hashing in flight; the iteration over records waits for a free slot.
            while (running.size >= concurrency) await Promise.race(running);
            shared = checkObject(record, registry, options.signal);
            const tracked = shared.finally(() => running.delete(tracked));
            running.add(tracked);
            byObject.set(objectKey, shared);
        }
        checks.push(shared.then((outcome) => describeCheck(record, outcome)));
    }
    const results = await Promise.all(checks);
    const problems = results.filter((check) => check.status !== 'ok');
    return {
        ok: problems.every((check) => check.status === 'unchecked'),
        checked: results.filter((check) => check.status !== 'unchecked').length,
        problems,
    };
}
