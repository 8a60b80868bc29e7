/** Comparing a manifest with a directory (scanned now) or with another manifest. */
import { TrackerError } from '@hyperprov/errors';
import { diffManifests, type ManifestDiff } from './diff-manifests.js';
import type { DatasetManifest } from './manifest.js';
import { scanDataset, type ScanOptions, type SkippedEntry } from './scan-dataset.js';

/** A diff, plus what the scan of a directory found when the other side was one. */
export interface DatasetDiff extends ManifestDiff {
    /** The manifest of the other side (scanned from the directory, or the one given). */
    against: DatasetManifest;
    /** Entries the scan left out (only when comparing with a directory). */
    skipped: SkippedEntry[];
}

/**
 * Differences from `manifest` to `against`: a directory (scanned with `options`, which then must
 * give the hash pool) or another manifest. `added` are files only in `against`, `removed` only in
 * `manifest`. Lists are in manifest path order, so output is deterministic.
 */
export async function compareDataset(manifest: DatasetManifest, against: DatasetManifest | string, options?: ScanOptions): Promise<DatasetDiff> {
    if (typeof against !== 'string') return { ...diffManifests(manifest, against), against, skipped: [] };
    if (options?.pool === undefined) {
        throw new TrackerError('INVALID_ARGUMENT', 'comparing a manifest with a directory needs the hash pool to scan it (options.pool)');
    }
    const scan = await scanDataset(against, options);
    return { ...diffManifests(manifest, scan.manifest), against: scan.manifest, skipped: scan.skipped };
}
