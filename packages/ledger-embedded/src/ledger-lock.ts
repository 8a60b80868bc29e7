/**
 * Opening the state database takes LevelDB's exclusive lock, which is what keeps a second process
 * (or a second open in this one) out of the ledger. owner.json beside it says who holds it, so the
 * error can name the process.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrackerError } from '@hyperprov/errors';
import type { Db } from './state-db.js';

const OWNER_FILE = 'owner.json';

interface Owner {
    pid: number;
    host: string;
    since: string;
    command: string;
}

function isLocked(error: unknown): boolean {
    const e = error as { code?: string; cause?: { code?: string } };
    return e?.code === 'LEVEL_LOCKED' || e?.cause?.code === 'LEVEL_LOCKED';
}

/** Opens `db`, retrying while another holder has it, for up to `timeoutMs`. */
export async function openLocked(db: Db, dir: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let delay = 25;
    for (;;) {
        try {
            await db.open();
            break;
        } catch (error) {
            if (!isLocked(error)) {
                throw new TrackerError('LEDGER_UNAVAILABLE', `cannot open the ledger state in ${dir}: ${(error as Error).message}; check permissions and free space`, { cause: error });
            }
            if (Date.now() >= deadline) throw await lockedError(dir, error);
            await sleep(delay);
            delay = Math.min(delay * 2, 250);
        }
    }
    const owner: Owner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command: process.argv.slice(1).join(' ').slice(0, 300) };
    await writeFile(join(dir, OWNER_FILE), `${JSON.stringify(owner)}\n`);
}

/** Removes owner.json if this process wrote it. */
export async function releaseOwner(dir: string): Promise<void> {
    try {
        const owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as Owner;
        if (owner.pid === process.pid && owner.host === hostname()) await rm(join(dir, OWNER_FILE), { force: true });
    } catch {
        // Nothing to release.
    }
}

async function lockedError(dir: string, cause: unknown): Promise<TrackerError> {
    let who = 'another process';
    try {
        const owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as Owner;
        if (owner.pid === process.pid && owner.host === hostname()) {
            return new TrackerError('LEDGER_UNAVAILABLE', `the ledger in ${dir} is already open in this process; reuse that instance or close it first`, { cause });
        }
        who = `process ${owner.pid} on ${owner.host} (\`${owner.command}\`, since ${owner.since})`;
    } catch {
        // No owner file: fall back to the generic wording.
    }
    return new TrackerError(
        'LEDGER_UNAVAILABLE',
        `the ledger in ${dir} is in use by ${who}; wait for it to finish or stop it, then retry (the embedded ledger serves one process at a time)`,
        { cause },
    );
}
