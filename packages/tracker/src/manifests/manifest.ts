/**
 * The dataset manifest, schema version 1: what a dataset directory held, as a sorted list of
 * `{path, size, sha256}` entries, plus a `root` checksum over that list.
 *
 * Two checksums, on purpose:
 * - `root` = `sha256:` of the canonical JSON of `entries` alone. It names the dataset *content*
 *   and nothing else, so it stays the same if the manifest envelope ever changes (a schema 2 with
 *   more header fields describes the same files with the same root). It is what `recordDataset`
 *   compares to decide "nothing changed", and it is copied into the record's `meta.root`.
 * - the manifest *file* checksum = `sha256:` of the manifest's serialised bytes. It is what the
 *   ledger records as the record's `checksum` (like any other stored object), what the store
 *   content-addresses, and what `verify`/`fetch` check the stored manifest against.
 * They cannot be one value: a file cannot contain the hash of its own bytes. Both are
 * deterministic functions of the directory's content, so the same tree always gives the same
 * root and the same file.
 */
import { canonicalJson } from '@hyperprov/chaincode';
import { createHash } from 'node:crypto';
import { TrackerError } from '../errors.js';

/** Manifest schema version written by this code. */
export const MANIFEST_SCHEMA = 1 as const;

/** `kind` of a dataset manifest, also the record's `meta.kind`. */
export const MANIFEST_KIND = 'hyperprov.dataset-manifest' as const;

/** One file of a dataset. */
export interface ManifestEntry {
    /** Path relative to the dataset root, POSIX separators, no `.`/`..` segments. */
    path: string;
    /** Bytes. */
    size: number;
    /** 64 lowercase hex digits of the SHA-256 of the file (the field name says the algorithm). */
    sha256: string;
}

/** A dataset manifest, schema version 1. */
export interface DatasetManifest {
    schema: typeof MANIFEST_SCHEMA;
    kind: typeof MANIFEST_KIND;
    /** Sorted by the UTF-8 bytes of `path`; paths are unique. */
    entries: ManifestEntry[];
    /** Number of entries. */
    count: number;
    /** Sum of entry sizes in bytes. */
    totalSize: number;
    /** `sha256:<hex>` of the canonical JSON of `entries`. */
    root: string;
}

/**
 * Orders paths by the bytes of their UTF-8 encoding, as the manifest requires. JavaScript's
 * default string order compares UTF-16 code units, which puts astral characters (emoji, rare CJK)
 * before U+E000–U+FFFF; byte order is what every other language and `LC_ALL=C sort` produce.
 */
export function compareUtf8(a: string, b: string): number {
    if (a === b) return 0;
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Sorts entries in manifest order (in place) and returns them. */
export function sortEntries(entries: ManifestEntry[]): ManifestEntry[] {
    // Encode each path once: sorting a million names would otherwise encode each ~40 times.
    const keyed = entries.map((entry) => ({ entry, key: Buffer.from(entry.path, 'utf8') }));
    keyed.sort((x, y) => Buffer.compare(x.key, y.key));
    for (let i = 0; i < keyed.length; i++) {
        // A path twice would make the manifest ambiguous (and unparseable): refuse to build it.
        if (i > 0 && keyed[i - 1]!.key.equals(keyed[i]!.key)) {
            throw new TrackerError('INVALID_ARGUMENT', `path ${JSON.stringify(keyed[i]!.entry.path)} appears twice in the manifest entries`);
        }
        entries[i] = keyed[i]!.entry;
    }
    return entries;
}

/**
 * Builds a manifest from entries in any order: sorts them, computes count, total size and root.
 * Entries must already be valid (scanDataset and parseManifest guarantee it).
 */
export function buildManifest(entries: Iterable<ManifestEntry>): DatasetManifest {
    const sorted = sortEntries(Array.from(entries, (e) => ({ path: e.path, size: e.size, sha256: e.sha256 })));
    let totalSize = 0;
    const hash = createHash('sha256');
    for (const chunk of entryListChunks(sorted)) hash.update(chunk);
    for (const entry of sorted) totalSize += entry.size;
    return {
        schema: MANIFEST_SCHEMA,
        kind: MANIFEST_KIND,
        entries: sorted,
        count: sorted.length,
        totalSize,
        root: `sha256:${hash.digest('hex')}`,
    };
}

/** Entries per serialised chunk: big enough to keep per-chunk overhead low, small enough to bound memory. */
const ENTRIES_PER_CHUNK = 1024;

/** Canonical JSON of an entry list, in chunks whose concatenation equals `canonicalJson(entries)`. */
function* entryListChunks(entries: readonly ManifestEntry[]): Generator<string> {
    yield '[';
    for (let i = 0; i < entries.length; i += ENTRIES_PER_CHUNK) {
        const part = entries.slice(i, i + ENTRIES_PER_CHUNK).map(entryJson).join(',');
        yield i === 0 ? part : `,${part}`;
    }
    yield ']';
}

function entryJson(entry: ManifestEntry): string {
    // Same bytes as canonicalJson(entry) (keys path, sha256, size are already in sorted order),
    // written out because this runs once per file of a possibly huge dataset.
    return `{"path":${JSON.stringify(entry.path)},"sha256":${JSON.stringify(entry.sha256)},"size":${entry.size}}`;
}

/**
 * The manifest's file bytes, as chunks of UTF-8 text whose concatenation is exactly
 * `canonicalJson(manifest)`. Streams so that a manifest of millions of entries is never one
 * giant string (V8 strings top out around 512 MiB).
 */
export function* serializeManifestChunks(manifest: DatasetManifest): Generator<string> {
    // Canonical JSON sorts keys: count, entries, kind, root, schema, totalSize.
    yield `{"count":${manifest.count},"entries":`;
    yield* entryListChunks(manifest.entries);
    yield `,"kind":${canonicalJson(manifest.kind)},"root":${canonicalJson(manifest.root)},"schema":${manifest.schema},"totalSize":${manifest.totalSize}}`;
}

/** The manifest file's bytes and their checksum (what the ledger records). */
export interface SerializedManifest {
    bytes: Buffer;
    /** `sha256:<hex>` of `bytes`. */
    checksum: string;
    size: number;
}

/** Serialises a manifest to its canonical file bytes and computes the file checksum. */
export function serializeManifest(manifest: DatasetManifest): SerializedManifest {
    const hash = createHash('sha256');
    const parts: Buffer[] = [];
    for (const chunk of serializeManifestChunks(manifest)) {
        const buf = Buffer.from(chunk, 'utf8');
        hash.update(buf);
        parts.push(buf);
    }
    const bytes = Buffer.concat(parts);
    return { bytes, checksum: `sha256:${hash.digest('hex')}`, size: bytes.length };
}
