/** Small filesystem helpers for crash-safe writes: fsync a directory, clean stale temp files. */

import { mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { errnoCode } from './fs-errors.js';

/**
 * fsyncs a directory so a rename/link/create inside it survives a crash. Filesystems that cannot
 * fsync directories (some FUSE mounts) report EINVAL/ENOTSUP; the entry is then as durable as the
 * filesystem allows, which is all we can do.
 */
export async function fsyncDirectory(dir: string): Promise<void> {
    const handle = await open(dir, 'r');
    try {
        await handle.sync();
    } catch (error) {
        const code = errnoCode(error);
        if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EBADF') throw error;
    } finally {
        await handle.close();
    }
}

/**
 * `mkdir -p` whose result survives a crash: every directory it created, and the entry of the
 * first one in its existing parent, is fsynced. Directories it creates get `mode` (less the
 * umask; default 0777 less the umask). Returns whether anything was created.
 */
export async function mkdirDurable(dir: string, mode?: number): Promise<boolean> {
    const first = await mkdir(dir, { recursive: true, ...(mode !== undefined && { mode }) });
    if (first === undefined) return false;
    const created = [first];
    for (const part of relative(first, dir).split(sep).filter(Boolean)) created.push(join(created.at(-1)!, part));
    for (const path of [dirname(first), ...created]) await fsyncDirectory(path);
    return true;
}

/** Name of a temp file owned by this process: `<pid>-<random>.tmp`. */
export function tempFileName(random: string): string {
    return `${process.pid}-${random}.tmp`;
}

function processIsAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return errnoCode(error) === 'EPERM';
    }
}

/**
 * Removes temp files left by writers that died mid-put: files whose owning process is gone, or
 * that are older than `maxAgeMs` (pids get reused). Files of live writers are left alone, so two
 * processes can share one store directory. Returns how many were removed.
 */
export async function removeStaleTempFiles(dir: string, maxAgeMs = 24 * 3600 * 1000): Promise<number> {
    let names: string[];
    try {
        names = await readdir(dir);
    } catch (error) {
        if (errnoCode(error) === 'ENOENT') return 0;
        throw error;
    }
    let removed = 0;
    const now = Date.now();
    for (const name of names) {
        const match = /^(\d+)-.*\.tmp$/.exec(name);
        if (match === null) continue;
        const path = join(dir, name);
        const pid = Number(match[1]);
        let stale = pid !== process.pid && !processIsAlive(pid);
        if (!stale) {
            try {
                stale = now - (await stat(path)).mtimeMs > maxAgeMs;
            } catch {
                continue; // vanished meanwhile: its writer finished
            }
        }
        if (!stale) continue;
        try {
            await unlink(path);
            removed++;
        } catch (error) {
            if (errnoCode(error) !== 'ENOENT') throw error;
        }
    }
    return removed;
}
