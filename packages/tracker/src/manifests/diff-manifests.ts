/**
 * Comparing two manifests: one merge pass over both sorted entry lists, so the result is in
 * manifest order (UTF-8 byte order of paths) and costs O(n) after the sort both already have.
 */
import { compareUtf8, type DatasetManifest, type ManifestEntry } from './manifest.js';

/** A path present on both sides with different bytes. */
export interface ModifiedEntry {
    path: string;
    before: ManifestEntry;
    after: ManifestEntry;
    /** `size` when the sizes differ (the content then differs too), `content` when only the hash does. */
    change: 'size' | 'content';
}

/**
 * Differences from a `before` manifest to an `after` one (or to a directory scanned into one):
 * `added` exist only after, `removed` only before. Every list is in manifest path order.
 */
export interface ManifestDiff {
    added: ManifestEntry[];
    removed: ManifestEntry[];
    modified: ModifiedEntry[];
    /** Paths with the same size and SHA-256 on both sides. */
    unchanged: string[];
    counts: { added: number; removed: number; modified: number; unchanged: number };
    /** True when nothing was added, removed or modified (the roots are then equal). */
    identical: boolean;
}

/** Compares two manifests entry by entry. Both must be valid (sorted, unique paths). */
export function diffManifests(before: DatasetManifest, after: DatasetManifest): ManifestDiff {
    const added: ManifestEntry[] = [];
    const removed: ManifestEntry[] = [];
    const modified: ModifiedEntry[] = [];
    const unchanged: string[] = [];
    const a = before.entries;
    const b = after.entries;
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
        const x = a[i];
        const y = b[j];
        const order = x === undefined ? 1 : y === undefined ? -1 : compareUtf8(x.path, y.path);
        if (order < 0) {
            removed.push(x!);
            i++;
        } else if (order > 0) {
            added.push(y!);
            j++;
        } else {
            if (x!.size !== y!.size) modified.push({ path: x!.path, before: x!, after: y!, change: 'size' });
            else if (x!.sha256 !== y!.sha256) modified.push({ path: x!.path, before: x!, after: y!, change: 'content' });
            else unchanged.push(x!.path);
            i++;
            j++;
        }
    }
    const counts = { added: added.length, removed: removed.length, modified: modified.length, unchanged: unchanged.length };
    return { added, removed, modified, unchanged, counts, identical: counts.added + counts.removed + counts.modified === 0 };
}
