/**
 * The outbox on disk, under `.hyperprov/outbox/`:
 *
 *   <entry>/entry.json      the request as accepted (written before the hook returns)
 *   <entry>/snapshot        the checkpoint's bytes (a file, or a directory's copy)
 *   <entry>/snapshot.json   written once the snapshot is complete: its presence means "snapshotted"
 *   <entry>/attempt.json    the last failed attempt: error, count, next retry
 *   done/<entry>.json       the committed result (kept so retries and waiting processes find it)
 *   failed/<entry>/         entries given up on, with reason.json
 *   drain.lock              pid of the one process that records entries
 *
 * Every JSON file is written to a temporary name, fsynced and renamed, so a crash leaves either
 * the old file or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDirectory } from '@hyperprov/storage';

export interface OutboxPaths {
    root: string;
    entry(entry: string): string;
    entryFile(entry: string): string;
    snapshot(entry: string): string;
    snapshotFile(entry: string): string;
    attemptFile(entry: string): string;
    doneFile(entry: string): string;
    failed(entry: string): string;
    lock: string;
}

export function outboxPaths(hyperprovDir: string): OutboxPaths {
    const root = path.join(hyperprovDir, 'outbox');
    return {
        root,
        entry: (entry) => path.join(root, entry),
        entryFile: (entry) => path.join(root, entry, 'entry.json'),
        snapshot: (entry) => path.join(root, entry, 'snapshot'),
        snapshotFile: (entry) => path.join(root, entry, 'snapshot.json'),
        attemptFile: (entry) => path.join(root, entry, 'attempt.json'),
        doneFile: (entry) => path.join(root, 'done', `${entry}.json`),
        failed: (entry) => path.join(root, 'failed', entry),
        lock: path.join(root, 'drain.lock'),
    };
}

/** Writes `value` as JSON to `file` atomically and durably (file and directory fsynced). */
export async function writeJsonDurably(file: string, value: unknown): Promise<void> {
    await writeJsonAtomic(file, value, true);
    await syncDir(path.dirname(file));
}

/**
 * Writes `value` as JSON to `file` atomically: a crash of the process leaves the old file or the
 * new one. Without `sync` it is not yet safe from a power cut; {@link syncFile} makes it so later.
 */
export async function writeJsonAtomic(file: string, value: unknown, sync = false): Promise<void> {
    const dir = path.dirname(file);
    const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', 0o600);
    try {
        await handle.writeFile(`${JSON.stringify(value)}\n`);
        if (sync) await handle.sync();
    } finally {
        await handle.close();
    }
    await rename(temp, file);
}

/** fsync of a file that exists. */
export async function syncFile(file: string): Promise<void> {
    const handle = await open(file, 'r');
    try {
        await handle.sync();
    } finally {
        await handle.close();
    }
}

/** fsync of a directory, so a rename or a new name in it survives a power cut (the store's helper). */
export const syncDir = fsyncDirectory;

/** The parsed JSON file, or undefined when it does not exist. */
export async function readJson<T>(file: string): Promise<T | undefined> {
    let text: string;
    try {
        text = await readFile(file, 'utf8');
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
        throw error;
    }
    return JSON.parse(text) as T;
}

/** Entry ids in the outbox (not done, not failed), unordered. */
export async function listEntries(paths: OutboxPaths): Promise<string[]> {
    let names: string[];
    try {
        names = await readdir(paths.root);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
    }
    return names.filter((name) => ENTRY_ID.test(name));
}

/** Moves an entry to failed/ with the reason; its snapshot stays there for a person to look at. */
export async function moveToFailed(paths: OutboxPaths, entry: string, reason: unknown): Promise<void> {
    await mkdir(path.dirname(paths.failed(entry)), { recursive: true });
    await rm(paths.failed(entry), { recursive: true, force: true });
    await rename(paths.entry(entry), paths.failed(entry));
    await writeJsonDurably(path.join(paths.failed(entry), 'reason.json'), reason);
}

/** Entry ids: `e` + 24 hex digits of the idempotency key's SHA-256. */
export const ENTRY_ID = /^e[0-9a-f]{24}$/;

/**
 * Synchronous twins for the hook's path: a few page-cache syscalls take microseconds, while their
 * async forms wait in the thread pool behind the copies and fsyncs of earlier epochs.
 */
export function readJsonSync<T>(file: string): T | undefined {
    let text: string;
    try {
        text = readFileSync(file, 'utf8');
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
        throw error;
    }
    return JSON.parse(text) as T;
}

/** Atomic (not yet durable) JSON write, synchronously; see {@link readJsonSync}. */
export function writeJsonAtomicSync(file: string, value: unknown): void {
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
    writeFileSync(temp, `${JSON.stringify(value)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
}
