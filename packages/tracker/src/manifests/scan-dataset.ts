/**
 * Scanning a dataset directory into a manifest. fast-glob walks the tree as a stream while the
 * files it finds are already being hashed in the worker pool (bounded number in flight), and the
 * hash cache answers for files whose (device, inode, size, mtime) did not change, so re-scanning
 * a big dataset only reads the files that changed.
 *
 * What is in a dataset:
 * - regular files, at any depth;
 * - symbolic links to regular files inside the root, recorded under the link's path with the
 *   target's bytes (a dataset consumer wants the bytes, and a copy of the tree has them there);
 * - not dot-directories (`.git/`, `.dvc/`, …) unless `dotDirs` is set, and never `.hyperprov/`
 *   (it holds the ledger, which changes every time something is recorded); dot-files are data.
 * Refused with INVALID_ARGUMENT, because silently leaving them out would make a manifest that
 * claims less than the directory holds: links that leave the root (the manifest could not be
 * reproduced from the directory alone), links to directories (they can loop or count files
 * twice), dangling links, names that are not valid UTF-8 (reported with their bytes, see
 * undecodable-name.ts). Sockets, FIFOs and devices are not data: they are skipped and listed in
 * `skipped`.
 */
import { setMaxListeners } from 'node:events';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { TrackerError, isTrackerError } from '@hyperprov/errors';
import { buildManifest, compareUtf8, type DatasetManifest, type ManifestEntry } from './manifest.js';
import { entryPathProblem } from './manifest-path.js';
import { hashDatasetFile, type HashResources } from './dataset-hasher.js';
import { undecodablePath } from './undecodable-name.js';

/** Options of {@link scanDataset}. */
export interface ScanOptions extends HashResources {
    /** Globs (relative to the root, fast-glob syntax) of files to take, e.g. `train/**` (a bare directory name matches no file); default every file. */
    include?: readonly string[];
    /** Globs of files or directories to leave out, on top of the defaults. */
    exclude?: readonly string[];
    /** Also descend into dot-directories (`.hyperprov/` stays excluded). Default false. */
    dotDirs?: boolean;
    /** Files hashed at the same time; default 4 × the pool's threads, at least 16 (small files are hashed 8 at a time on the main thread besides the workers). */
    concurrency?: number;
    signal?: AbortSignal;
    /** Called after each file is hashed. */
    onProgress?: (progress: ScanProgress) => void;
}

/** Progress of a scan. `found` grows while the walk goes on. */
export interface ScanProgress {
    found: number;
    done: number;
    bytes: number;
    /** The file just finished. */
    path: string;
}

/** Something in the tree that is not in the manifest, and why. */
export interface SkippedEntry {
    path: string;
    reason: 'special-file';
}

/** What {@link scanDataset} found. */
export interface ScanResult {
    manifest: DatasetManifest;
    /** Absolute, symlink-free path of the dataset root. */
    dir: string;
    skipped: SkippedEntry[];
}

/** Directories never part of a dataset. */
const ALWAYS_EXCLUDED = ['**/.hyperprov', '**/.hyperprov/**'];
const DOT_DIRS = ['**/.*/**'];

/**
 * Scans `dir` and builds its manifest. Throws NOT_FOUND if `dir` does not exist, INVALID_ARGUMENT
 * if it is not a directory or holds something a manifest cannot describe (see the module comment),
 * FILE_CHANGED if a file changed or vanished while it was read, ABORTED on `signal`.
 */
export async function scanDataset(dir: string, options: ScanOptions): Promise<ScanResult> {
    const walked = await walkDataset(dir, options, (file, relative, signal) => hashDatasetFile(file, relative, options, signal), false);
    return { manifest: walked.manifest, dir: walked.dir, skipped: walked.skipped };
}

/** What a per-file operation of {@link walkDataset} must produce. */
export interface FileOutcome {
    /** `sha256:<hex>` of the bytes read. */
    checksum: string;
    size: number;
}

/** A scan whose per-file results are kept, keyed by entry path. */
export interface WalkResult<T extends FileOutcome> extends ScanResult {
    outcomes: Map<string, T>;
}

/**
 * The scan with a pluggable per-file operation (hash only, or hash while uploading): walks `dir`
 * and runs `fileOp` on every dataset file with bounded concurrency. Rules and errors as
 * {@link scanDataset}.
 */
export async function walkDataset<T extends FileOutcome>(
    dir: string,
    options: ScanOptions,
    fileOp: (file: string, relative: string, signal: AbortSignal) => Promise<T>,
    /** Keep every file's outcome in `outcomes` (false: leave it empty, to save memory on huge trees). */
    keepOutcomes = true,
): Promise<WalkResult<T>> {
    const root = await datasetRoot(dir);
    const include = checkPatterns(options.include ?? ['**'], 'include');
    const exclude = checkPatterns(options.exclude ?? [], 'exclude');
    const concurrency = options.concurrency ?? Math.max(16, 4 * threadsOf(options));
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
        throw new TrackerError('INVALID_ARGUMENT', `concurrency ${concurrency} is invalid; give a whole number of at least 1`);
    }
    throwIfAborted(options.signal);

    // One controller for the whole scan: the first failure stops the walk and in-flight hashes.
    const controller = new AbortController();
    // Every file in flight listens on it (hash pass, upload): bounded by concurrency, not a leak.
    setMaxListeners(2 * concurrency + 10, controller.signal);
    const onAbort = (): void => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const stream = fg.stream(include as string[], {
        cwd: root,
        dot: true,
        onlyFiles: false,
        followSymbolicLinks: false,
        objectMode: true,
        ignore: [...ALWAYS_EXCLUDED, ...(options.dotDirs ? [] : DOT_DIRS), ...exclude],
        // Errors reading a directory must fail the scan, not leave its files out.
        suppressErrors: false,
    });

    const entries: ManifestEntry[] = [];
    const skipped: SkippedEntry[] = [];
    const outcomes = new Map<string, T>();
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    const progress = { found: 0, done: 0, bytes: 0 };

    const hashOne = async (relative: string): Promise<void> => {
        const result = await fileOp(path.join(root, relative), relative, controller.signal);
        entries.push({ path: relative, size: result.size, sha256: result.checksum.slice('sha256:'.length) });
        if (keepOutcomes) outcomes.set(relative, result);
        progress.done++;
        progress.bytes += result.size;
        options.onProgress?.({ ...progress, path: relative });
    };

    try {
        for await (const item of stream as AsyncIterable<fg.Entry>) {
            if (failure !== undefined || controller.signal.aborted) break;
            const relative = item.path;
            const dirent = item.dirent;
            // Before directories are skipped: fast-glob cannot open a directory by its U+FFFD
            // name and would silently leave out everything in it.
            const undecodable = await undecodablePath(root, relative);
            if (undecodable !== undefined) {
                throw new TrackerError(
                    'INVALID_ARGUMENT',
                    `${describe(root, undecodable)}: the name is not valid UTF-8 (shown with its bad bytes as \\xNN); rename it to UTF-8 (e.g. with convmv) or --exclude it (? and * match the bad bytes)`,
                );
            }
            if (dirent.isDirectory()) continue;
            const problem = entryPathProblem(relative);
            if (problem) throw new TrackerError('INVALID_ARGUMENT', `${describe(root, relative)}: the name ${problem}; rename it or --exclude it`);
            if (dirent.isSymbolicLink()) {
                await checkLink(root, relative);
            } else if (!dirent.isFile()) {
                skipped.push({ path: relative, reason: 'special-file' });
                continue;
            }
            progress.found++;
            const task: Promise<void> = hashOne(relative).then(
                () => void inFlight.delete(task),
                (error: unknown) => {
                    inFlight.delete(task);
                    if (failure === undefined) failure = error;
                    controller.abort(error);
                },
            );
            inFlight.add(task);
            if (inFlight.size >= concurrency) await Promise.race(inFlight);
        }
    } catch (error) {
        if (failure === undefined) failure = translateWalkError(error, root);
        controller.abort(failure);
    } finally {
        (stream as unknown as { destroy?: () => void }).destroy?.();
        // Never return (or throw) while hashes still run: the caller may close the pool next.
        await Promise.allSettled(inFlight);
        options.signal?.removeEventListener('abort', onAbort);
    }
    if (options.signal?.aborted) throw new TrackerError('ABORTED', `scan of ${root} was aborted`, { cause: options.signal.reason });
    if (failure !== undefined) throw failure;
    return { manifest: buildManifest(entries), dir: root, skipped: skipped.sort((a, b) => compareUtf8(a.path, b.path)), outcomes };
}

/** Resolves the dataset root and checks it is a directory. */
export async function datasetRoot(dir: string): Promise<string> {
    if (typeof dir !== 'string' || dir.length === 0) throw new TrackerError('INVALID_ARGUMENT', 'give the dataset directory to scan');
    let resolved: string;
    try {
        resolved = await realpath(path.resolve(dir));
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') throw new TrackerError('NOT_FOUND', `dataset directory ${dir} does not exist; check the path`, { cause: error });
        throw new TrackerError('INVALID_ARGUMENT', `cannot open dataset directory ${dir}: ${(error as Error).message}`, { cause: error });
    }
    const info = await stat(resolved);
    if (!info.isDirectory()) {
        throw new TrackerError('INVALID_ARGUMENT', `${dir} is not a directory; a dataset is a directory (to record a single file use \`hyperprov record\`)`);
    }
    return resolved;
}

/** Refuses links that leave the root, point to directories, or point nowhere. */
async function checkLink(root: string, relative: string): Promise<void> {
    const where = describe(root, relative);
    let target: string;
    try {
        target = await realpath(path.join(root, relative));
    } catch (error) {
        throw new TrackerError('INVALID_ARGUMENT', `${where} is a symbolic link to nothing (${(error as NodeJS.ErrnoException).code}); remove it or --exclude it`, { cause: error });
    }
    if (!target.startsWith(root + path.sep)) {
        throw new TrackerError(
            'INVALID_ARGUMENT',
            `${where} is a symbolic link to ${target}, outside the dataset; copy the file into the dataset or --exclude the link`,
        );
    }
    if ((await stat(target)).isDirectory()) {
        throw new TrackerError(
            'INVALID_ARGUMENT',
            `${where} is a symbolic link to a directory; manifests do not follow directory links (they can loop or count files twice) — --exclude it or replace it with the directory`,
        );
    }
}

function checkPatterns(patterns: readonly string[], what: string): string[] {
    if (!Array.isArray(patterns)) throw new TrackerError('INVALID_ARGUMENT', `${what} must be a list of glob patterns`);
    for (const pattern of patterns) {
        if (typeof pattern !== 'string' || pattern.length === 0 || pattern.includes('\0')) {
            throw new TrackerError('INVALID_ARGUMENT', `${what} pattern ${JSON.stringify(pattern)} is empty or not a string`);
        }
        // Patterns are relative to the dataset root; anything else would scan outside it.
        if (pattern.startsWith('/') || pattern.split('/').includes('..')) {
            throw new TrackerError('INVALID_ARGUMENT', `${what} pattern ${JSON.stringify(pattern)} leaves the dataset root; write patterns relative to it`);
        }
    }
    return [...patterns];
}

function translateWalkError(error: unknown, root: string): unknown {
    if (isTrackerError(error)) return error;
    const e = error as NodeJS.ErrnoException;
    const where = e.path ? path.relative(root, e.path) || '.' : root;
    if (e.code === 'EACCES' || e.code === 'EPERM') {
        return new TrackerError('INVALID_ARGUMENT', `cannot read ${where} in ${root} (${e.code}); fix its permissions or --exclude it`, { cause: error });
    }
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') {
        return new TrackerError('FILE_CHANGED', `${where} in ${root} disappeared during the scan; re-run when nothing is writing to the dataset`, { cause: error });
    }
    return new TrackerError('INTERNAL', `scanning ${root} failed: ${e?.message ?? String(error)}`, { cause: error });
}

function describe(root: string, relative: string): string {
    return path.join(root, relative);
}

function threadsOf(options: HashResources): number {
    const threads = (options.pool as { threads?: unknown }).threads;
    return typeof threads === 'number' && threads > 0 ? threads : 2;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new TrackerError('ABORTED', 'the dataset scan was aborted', { cause: signal.reason });
}
