/**
 * One writer at a time: a lock is a folder (mkdir is atomic) with the owner's pid inside; a lock
 * whose owner is gone (a killed build or `up`) is taken over. Used so parallel test files or two
 * terminals never compile Fabric twice on a 2-core machine, and two `up`s never create or start
 * the same network at once.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from './network/processes.js';

/** Runs `work` holding the lock folder `lock`; `log` hears once that we wait for another owner. */
export async function withFolderLock<T>(lock: string, what: string, log: (line: string) => void, work: () => Promise<T>): Promise<T> {
    await mkdir(dirname(lock), { recursive: true });
    let waiting = false;
    for (;;) {
        try {
            await mkdir(lock);
            break;
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const owner = Number((await readFile(join(lock, 'pid'), 'utf8').catch(() => '')).trim());
        // No pid yet: the owner is between mkdir and writing it, unless that was long ago (it died there).
        const orphaned = owner > 0 ? !isAlive(owner) : Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now()) > 30_000;
        if (orphaned) {
            await rm(lock, { recursive: true, force: true });
            continue;
        }
        if (!waiting) log(`[fabric-network] waiting for another ${what} (pid ${owner || '?'}) to finish…`);
        waiting = true;
        await sleep(500);
    }
    try {
        await writeFile(join(lock, 'pid'), `${process.pid}\n`);
        return await work();
    } finally {
        await rm(lock, { recursive: true, force: true });
    }
}
