// Disk hygiene between timed phases, so one tool's write-back does not land on the next one's clock.
import { statfs } from 'node:fs/promises';
import { run } from './exec.mjs';

/** Flushes dirty pages (`sync`), untimed, before the next phase starts. */
export async function settle() {
    await run('sync', []);
}

/**
 * Fails early when the disk cannot hold what a figure writes: the files, one store's copy and
 * DVC's cache copy (+10 %).
 */
export async function checkDiskSpace(dir, bytes) {
    const info = await statfs(dir);
    const free = info.bavail * info.bsize;
    const needed = bytes * 3.3;
    if (free < needed) {
        throw new Error(
            `the batch figure needs about ${(needed / 1e9).toFixed(0)} GB free in ${dir}, but ${(free / 1e9).toFixed(0)} GB are free; ` +
                'free some space or use fewer files (--files)',
        );
    }
}
