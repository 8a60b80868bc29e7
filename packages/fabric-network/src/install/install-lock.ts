/**
 * One build at a time per install: parallel test files or two terminals calling `install` would
 * otherwise compile Fabric twice on a 2-core machine. The lock is a folder (mkdir is atomic) with
 * the owner's pid inside; a lock whose owner is gone (killed build) is taken over.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from './build-from-source.js';
import { hyperprovCacheDir } from './cache-paths.js';

export async function withInstallLock<T>(name: string, env: NodeJS.ProcessEnv, log: Log, work: () => Promise<T>): Promise<T> {
    const lock = join(hyperprovCacheDir(env), name, '.install-lock');
    await mkdir(join(hyperprovCacheDir(env), name), { recursive: true });
    let waiting = false;
    for (;;) {
        try {
            await mkdir(lock);
            break;
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const owner = Number((await readFile(join(lock, 'pid'), 'utf8').catch(() => '')).trim());
        if (owner > 0 && !isAlive(owner)) {
            await rm(lock, { recursive: true, force: true });
            continue;
        }
        if (!waiting) log(`[fabric-network] waiting for another ${name} install (pid ${owner || '?'}) to finish…`);
        waiting = true;
        await sleep(1000);
    }
    try {
        await writeFile(join(lock, 'pid'), `${process.pid}\n`);
        return await work();
    } finally {
        await rm(lock, { recursive: true, force: true });
    }
}

function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
}
