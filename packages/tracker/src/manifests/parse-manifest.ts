/**
 * Reading a manifest back: from bytes (strict: schema, kind, entry shapes, order, totals, root and
 * canonical form are all checked) and from a store, verified against the record's checksum.
 */
import { createHash } from 'node:crypto';
import type { ObjectStore } from '@hyperprov/storage';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { TrackerError } from '@hyperprov/errors';
import { fromStoreError } from '../stores/store-errors.js';
import { MANIFEST_KIND, MANIFEST_SCHEMA, buildManifest, compareUtf8, serializeManifestChunks, type DatasetManifest, type ManifestEntry } from './manifest.js';
import { entryPathProblem } from './manifest-path.js';

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Parses and validates manifest file bytes. Throws INVALID_ARGUMENT naming the first problem
 * (not JSON, wrong schema or kind, a bad entry, unsorted or duplicate paths, wrong totals) and
 * CHECKSUM_MISMATCH when `root` is not the checksum of the entries. Also refuses bytes that are
 * valid but not canonical, because the file checksum must be reproducible from the content.
 */
export function parseManifest(bytes: Uint8Array | string, source = 'manifest'): DatasetManifest {
    const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (error) {
        throw new TrackerError('INVALID_ARGUMENT', `${source} is not JSON; is this really a dataset manifest?`, { cause: error });
    }
    const bad = (what: string): TrackerError => new TrackerError('INVALID_ARGUMENT', `${source}: ${what}; it was not written by hyperprov dataset (schema ${MANIFEST_SCHEMA})`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not a JSON object');
    const m = value as Record<string, unknown>;
    if (m.kind !== MANIFEST_KIND) throw bad(`kind is ${JSON.stringify(m.kind)}, expected ${JSON.stringify(MANIFEST_KIND)}`);
    if (m.schema !== MANIFEST_SCHEMA) {
        throw new TrackerError('INVALID_ARGUMENT', `${source} has manifest schema ${JSON.stringify(m.schema)}; this hyperprov reads schema ${MANIFEST_SCHEMA} — upgrade hyperprov`);
    }
    const extra = Object.keys(m).filter((k) => !['schema', 'kind', 'entries', 'count', 'totalSize', 'root'].includes(k));
    if (extra.length > 0) throw bad(`unexpected field(s) ${extra.join(', ')}`);
    if (!Array.isArray(m.entries)) throw bad('entries is not an array');
    const entries: ManifestEntry[] = [];
    let previous: string | undefined;
    for (const [i, raw] of (m.entries as unknown[]).entries()) {
        const entry = checkEntry(raw, i, bad);
        if (previous !== undefined && compareUtf8(previous, entry.path) >= 0) throw bad(`entry ${i} (${JSON.stringify(entry.path)}) is out of order or duplicated`);
        previous = entry.path;
        entries.push(entry);
    }
    const rebuilt = buildManifest(entries);
    if (m.count !== rebuilt.count) throw bad(`count is ${JSON.stringify(m.count)} but there are ${rebuilt.count} entries`);
    if (m.totalSize !== rebuilt.totalSize) throw bad(`totalSize is ${JSON.stringify(m.totalSize)} but the entries add up to ${rebuilt.totalSize}`);
    if (m.root !== rebuilt.root) {
        throw new TrackerError('CHECKSUM_MISMATCH', `${source}: root is ${JSON.stringify(m.root)} but its entries hash to ${rebuilt.root}; the manifest was altered`);
    }
    if (!isCanonical(rebuilt, text)) throw bad('not in canonical JSON form');
    return rebuilt;
}

function checkEntry(raw: unknown, i: number, bad: (what: string) => TrackerError): ManifestEntry {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`entry ${i} is not an object`);
    const e = raw as Record<string, unknown>;
    const keys = Object.keys(e);
    if (keys.length !== 3 || !('path' in e) || !('size' in e) || !('sha256' in e)) throw bad(`entry ${i} must have exactly path, size and sha256`);
    const problem = entryPathProblem(e.path);
    if (problem) throw bad(`entry ${i} path ${JSON.stringify(e.path)} ${problem}`);
    if (typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0) throw bad(`entry ${i} size ${JSON.stringify(e.size)} is not a byte count`);
    if (typeof e.sha256 !== 'string' || !HEX64.test(e.sha256)) throw bad(`entry ${i} sha256 is not 64 lowercase hex digits`);
    return { path: e.path as string, size: e.size, sha256: e.sha256 };
}

function isCanonical(manifest: DatasetManifest, text: string): boolean {
    let offset = 0;
    for (const chunk of serializeManifestChunks(manifest)) {
        if (text.startsWith(chunk, offset)) offset += chunk.length;
        else return false;
    }
    return offset === text.length;
}

/** Upper bound on a manifest file read into memory: ~5 million entries. */
const MAX_MANIFEST_BYTES = 1024 * 1024 * 1024;

/**
 * Reads the manifest a record points to from `store` (the store at `record.location`), checks its
 * bytes against the record's checksum and size, and parses it. Throws INVALID_ARGUMENT if the
 * record is not a dataset manifest, NOT_FOUND if the store lost it, CHECKSUM_MISMATCH if the
 * stored bytes are not the recorded ones.
 */
export async function readManifest(record: ProvenanceRecord, store: ObjectStore, options: { signal?: AbortSignal } = {}): Promise<DatasetManifest> {
    if (record.meta?.kind !== MANIFEST_KIND) {
        throw new TrackerError('INVALID_ARGUMENT', `record ${record.id} (${record.key}) is not a dataset manifest; pass the id printed by \`hyperprov dataset\``);
    }
    if (record.size > MAX_MANIFEST_BYTES) {
        throw new TrackerError('INVALID_ARGUMENT', `manifest of record ${record.id} is ${record.size} bytes, more than this version reads (${MAX_MANIFEST_BYTES})`);
    }
    const what = `manifest ${record.pointer} of record ${record.id} in ${record.location}`;
    const chunks: Buffer[] = [];
    const hash = createHash('sha256');
    let size = 0;
    try {
        const body = await store.get(record.pointer, options.signal ? { signal: options.signal } : {});
        for await (const chunk of body as AsyncIterable<Buffer>) {
            size += chunk.length;
            // Stop before buffering more than the record says: a wrong object must not exhaust memory.
            if (size > record.size) break;
            hash.update(chunk);
            chunks.push(chunk);
        }
    } catch (error) {
        throw fromStoreError(error, what);
    }
    const checksum = `sha256:${hash.digest('hex')}`;
    if (size !== record.size || checksum !== record.checksum) {
        throw new TrackerError('CHECKSUM_MISMATCH', `${what} does not match the record (${record.checksum}, ${record.size} bytes); the stored manifest was altered or replaced`);
    }
    return parseManifest(Buffer.concat(chunks), what);
}
