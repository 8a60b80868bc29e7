/**
 * The dataset manifest, schema version 1: what a dataset directory held, as a sorted list of
 * `{path, size, sha256}` entries, plus a `root` checksum over that list.
 *
 * Two checksums, on purpose:
 * - `root` = `sha256:` of the canonical JSON of `entries` alone. It names the dataset *content*
 *   and nothing else, so it stays the same if the manifest envelope ever changes (a schema 2 with
 *   more header fields describes the same files with the same root). It is what `prepareDatasetRecord`
 *   compares to decide "nothing changed", and it is copied into the record's `meta.root`.
 * - the manifest *file* checksum = `sha256:` of the manifest's serialised bytes. It is what the
 *   ledger records as the record's `checksum` (like any other stored object), what the store
 *   content-addresses, and what `verify`/`fetch` check the stored manifest against.
 * They cannot be one value: a file cannot contain the hash of its own bytes. Both are
 * deterministic functions of the directory's content, so the same tree always gives the same
 * root and the same file.
 */
import { canonicalJson } from '@hyperprov/chaincode/protocol';
import { createHash } from 'node:crypto';
import { TrackerError } from '@hyperprov/errors';

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
 * UTF-8 byte order equals code point order, so no encoding is needed: at the first differing code
 * unit, surrogates (astral code points) are moved above U+E000–U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
    if (a === b) return 0;
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
        const x = a.charCodeAt(i);
        const y = b.charCodeAt(i);
        if (x !== y) return x >= 0xd800 && y >= 0xd800 ? codePointRank(x) - codePointRank(y) : x - y;
    }
    return a.length - b.length;
}

/** For code units ≥ U+D800: surrogates after U+E000–U+FFFF, each group keeping its order. */
function codePointRank(unit: number): number {
    return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** Code units whose UTF-16 order can differ from UTF-8 order. */
const HIGH_UNITS = /[\uD800-\uFFFF]/;

/** Sorts entries in manifest order (in place) and returns them. Throws on a duplicate path. */
export function sortEntries(entries: ManifestEntry[]): ManifestEntry[] {
    // Native string comparison is several times faster than any JS comparator; it is exact unless
    // some path holds a code unit ≥ U+D800, which real datasets rarely do.
    const careful = entries.some((e) => HIGH_UNITS.test(e.path));
    entries.sort(careful ? (x, y) => compareUtf8(x.path, y.path) : (x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    for (let i = 1; i < entries.length; i++) {
        // A path twice would make the manifest ambiguous (and unparseable): refuse to build it.
        if (entries[i - 1]!.path === entries[i]!.path) {
            throw new TrackerError('INVALID_ARGUMENT', `path ${JSON.stringify(entries[i]!.path)} appears twice in the manifest entries`);
        }
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
