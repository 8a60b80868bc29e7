/**
 * Snapshots of checkpoints: the bytes as they were when the hook was called, kept inside the
 * outbox until they are recorded, so a trainer that saves to the same name next epoch (Keras
 * `save`, `torch.save` to one path) cannot change what gets recorded. Copies ask for a reflink
 * (copy-on-write clone, instant on btrfs/XFS) and fall back to a kernel-side copy elsewhere. A hard
 * link would be free but shares the inode: an in-place overwrite would change the snapshot too.
 */
import { constants, readdirSync, statSync } from 'node:fs';
import { copyFile, lstat, mkdir, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { TrackerError } from '@hyperprov/errors';

/** What a checkpoint looked like: enough to notice that it was rewritten. */
export interface SourceIdentity {
    kind: 'file' | 'dir';
    size: number;
    /** The newest mtime (of the file, or of any file in the directory). */
    mtimeMs: number;
    /** Files in a directory checkpoint (1 for a file). */
    files: number;
}

/**
 * Reads a checkpoint's identity; INVALID_ARGUMENT when it is missing or neither file nor directory.
 * Synchronous on purpose: it is on the hook's path, and a stat queued behind the thread pool's
 * long copies and fsyncs would make the hook wait for them; the page-cache stat takes microseconds.
 */
export async function sourceIdentity(source: string): Promise<SourceIdentity> {
    let info;
    try {
        info = statSync(source);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new TrackerError(
            code === 'ENOENT' ? 'INVALID_ARGUMENT' : 'IO_ERROR',
            code === 'ENOENT' ? `checkpoint ${source} does not exist; call the hook after the checkpoint is saved` : `cannot read checkpoint ${source}: ${(error as Error).message}`,
            { cause: error },
        );
    }
    if (info.isFile()) return { kind: 'file', size: info.size, mtimeMs: info.mtimeMs, files: 1 };
    if (!info.isDirectory()) throw new TrackerError('INVALID_ARGUMENT', `checkpoint ${source} is neither a file nor a directory`);
    let size = 0;
    let mtimeMs = 0;
    let files = 0;
    for (const file of listFilesSync(source)) {
        const entry = statSync(path.join(source, file));
        size += entry.size;
        mtimeMs = Math.max(mtimeMs, entry.mtimeMs);
        files++;
    }
    if (files === 0) throw new TrackerError('INVALID_ARGUMENT', `checkpoint directory ${source} is empty; call the hook after the checkpoint is saved`);
    return { kind: 'dir', size, mtimeMs, files };
}

/** Files under `dir` (relative, `/`-separated), recursively, following links to files as listFiles does. */
function listFilesSync(dir: string, prefix = ''): string[] {
    const out: string[] = [];
    for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
        const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
        if (entry.isDirectory()) out.push(...listFilesSync(dir, rel));
        else if (entry.isFile()) out.push(rel);
        else if (entry.isSymbolicLink() && statSyncOrUndefined(path.join(dir, rel))?.isFile()) out.push(rel);
    }
    return out.sort();
}

function statSyncOrUndefined(file: string) {
    try {
        return statSync(file);
    } catch {
        return undefined;
    }
}

export function sameIdentity(a: SourceIdentity, b: { size: number; mtimeMs: number; files?: number }): boolean {
    return a.size === b.size && Math.abs(a.mtimeMs - b.mtimeMs) < 0.001 && (b.files === undefined || a.files === b.files);
}

/**
 * Copies `source` to `target` (which must not exist) and checks it did not change meanwhile:
 * FILE_CHANGED when it no longer matches `expected` before or after the copy.
 */
export async function takeSnapshot(source: string, target: string, expected: SourceIdentity): Promise<void> {
    const before = await sourceIdentity(source);
    if (!sameIdentity(before, expected)) throw changed(source, 'before it could be snapshotted');
    if (before.kind === 'file') {
        await copyFile(source, target, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    } else {
        for (const file of await listFiles(source)) {
            const to = path.join(target, file);
            await mkdir(path.dirname(to), { recursive: true });
            await copyFile(path.join(source, file), to, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
        }
    }
    const after = await sourceIdentity(source);
    if (!sameIdentity(after, expected)) throw changed(source, 'while it was snapshotted');
}

function changed(source: string, when: string): TrackerError {
    return new TrackerError(
        'FILE_CHANGED',
        `checkpoint ${source} was rewritten ${when}, so the bytes of that epoch are gone; save each epoch to its own name, or call the hook before the next save`,
    );
}

/** Files under `dir` (relative, `/`-separated), recursively; symbolic links are not followed. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
        const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
        if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
        else if (entry.isFile()) out.push(rel);
        else if (entry.isSymbolicLink() && (await lstat(path.join(dir, rel))).isSymbolicLink()) {
            // A link inside a checkpoint (HF shares tokenizer files that way) is recorded as its target's bytes.
            if ((await stat(path.join(dir, rel)).catch(() => undefined))?.isFile()) out.push(rel);
        }
    }
    return out.sort();
}

/** fsync of a snapshot's bytes (a file, or every file of a directory copy). */
export async function syncSnapshot(target: string, kind: 'file' | 'dir'): Promise<void> {
    const files = kind === 'file' ? [target] : (await listFiles(target)).map((file) => path.join(target, file));
    for (const file of files) {
        const handle = await open(file, 'r');
        try {
            await handle.sync();
        } finally {
            await handle.close();
        }
    }
}
