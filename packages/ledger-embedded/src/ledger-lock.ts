/**
 * Opening the state database takes LevelDB's exclusive lock, which is what keeps a second process
 * (or a second open in this one) out of the ledger. owner.json beside it says who holds it, so the
 * error can name the process.
 *
 * Processes that find the ledger busy queue for it instead of racing: each leaves a ticket in
 * `waiting/` named by the time it arrived, and only the oldest live ticket tries to take the lock.
 * Racing retries with backoff let a newcomer win over a process that had waited for seconds, so
 * under 16 concurrent commands some waited past any timeout; in a queue each waits for the ones
 * ahead of it only. A ticket whose process is gone (kill -9 while waiting) is removed by whoever
 * sees it, so a dead waiter never blocks the queue.
 *
 * The database object is created only when it is this process's turn: a ClassicLevel opens
 * itself as soon as it is constructed, and one made early would take the lock out of turn and
 * hold it while waiting in line behind the head, which then waits for it: a deadlock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrackerError } from '@hyperprov/errors';
import type { Db } from './state-db.js';

const OWNER_FILE = 'owner.json';
/** Folder of queue tickets inside the ledger directory. */
export const WAITING_DIR = 'waiting';
/** The head of the queue polls the lock this often; the others poll the queue. */
const HEAD_POLL_MS = 15;
const QUEUE_POLL_MS = 40;
/** A waiter says once that it waits, after this long (most waits are shorter). */
const TELL_AFTER_MS = 1000;
/** A ticket older than this is left over from a waiter that cannot be checked (another host). */
const STALE_TICKET_MS = 60 * 60 * 1000;

interface Owner {
    pid: number;
    host: string;
    since: string;
    command: string;
}

/** Short tag of this host in ticket names, so a waiter can tell which tickets it can check for liveness. */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

function isLocked(error: unknown): boolean {
    const e = error as { code?: string; cause?: { code?: string } };
    return e?.code === 'LEVEL_LOCKED' || e?.cause?.code === 'LEVEL_LOCKED';
}

/**
 * Opens the database `createDb` makes, waiting in line behind other processes that want it, for
 * up to `timeoutMs` in all; `onWait` hears once, after a second, who it is waiting for. A holder in
 * this same process is reported at once: waiting for ourselves would never end.
 */
export async function openLocked(createDb: () => Db, dir: string, timeoutMs: number, onWait?: (message: string) => void): Promise<Db> {
    const started = Date.now();
    const queue = join(dir, WAITING_DIR);
    // Nobody waiting: take the lock straight away if it is free (the common case costs no ticket).
    if ((await liveTickets(queue)).length === 0) {
        const db = await tryOpen(createDb, dir);
        if (db) return writeOwner(dir, db);
    }
    await failIfHeldHere(dir);
    const ticket = await enqueue(queue);
    let ahead = 0;
    let told = false;
    try {
        for (;;) {
            const tickets = await liveTickets(queue);
            const position = tickets.indexOf(ticket);
            // Our own ticket missing means someone took it for stale; keep our place by its name.
            ahead = position >= 0 ? position : tickets.filter((t) => t < ticket).length;
            if (ahead === 0) {
                const db = await tryOpen(createDb, dir);
                if (db) return writeOwner(dir, db);
            }
            if (Date.now() - started >= timeoutMs) throw await lockedError(dir, Date.now() - started, ahead);
            if (onWait && !told && Date.now() - started >= TELL_AFTER_MS) {
                told = true;
                const owner = await readOwner(dir);
                const who = owner ? `process ${owner.pid} on ${owner.host} (\`${owner.command}\`)` : 'another process';
                onWait(`waiting for the ledger in ${dir}: in use by ${who}${ahead > 0 ? `, ${ahead} more waiting ahead` : ''} (up to ${Math.round(timeoutMs / 1000)} s)`);
            }
            await sleep(ahead === 0 ? HEAD_POLL_MS : QUEUE_POLL_MS);
        }
    } finally {
        await rm(join(queue, ticket), { force: true });
    }
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

/** The open database, or undefined while another process holds it. */
async function tryOpen(createDb: () => Db, dir: string): Promise<Db | undefined> {
    const db = createDb();
    try {
        await db.open();
        return db;
    } catch (error) {
        if (isLocked(error)) return undefined;
        throw new TrackerError('LEDGER_UNAVAILABLE', `cannot open the ledger state in ${dir}: ${(error as Error).message}; check permissions and free space`, { cause: error });
    }
}

async function writeOwner(dir: string, db: Db): Promise<Db> {
    const owner: Owner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command: process.argv.slice(1).join(' ').slice(0, 300) };
    try {
        await writeFile(join(dir, OWNER_FILE), `${JSON.stringify(owner)}\n`);
    } catch (error) {
        await db.close().catch(() => undefined);
        throw new TrackerError('LEDGER_UNAVAILABLE', `cannot write ${join(dir, OWNER_FILE)}: ${(error as Error).message}; check permissions and free space`, { cause: error });
    }
    return db;
}

async function readOwner(dir: string): Promise<Owner | undefined> {
    try {
        return JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as Owner;
    } catch {
        return undefined;
    }
}

async function failIfHeldHere(dir: string): Promise<void> {
    const owner = await readOwner(dir);
    if (owner?.pid === process.pid && owner.host === hostname()) {
        throw new TrackerError('LEDGER_UNAVAILABLE', `the ledger in ${dir} is already open in this process; reuse that instance or close it first`);
    }
}

/** Ticket names sort by arrival: `<ms since epoch, 15 digits>-<host tag>-<pid>-<random>`. */
async function enqueue(queue: string): Promise<string> {
    await mkdir(queue, { recursive: true });
    const ticket = `${String(Date.now()).padStart(15, '0')}-${HOST_TAG}-${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeFile(join(queue, ticket), '');
    return ticket;
}

/** Tickets of waiters that are still there, oldest first; removes the others. */
async function liveTickets(queue: string): Promise<string[]> {
    let names: string[];
    try {
        names = await readdir(queue);
    } catch {
        return [];
    }
    const live: string[] = [];
    for (const name of names.sort()) {
        const [time, host, pid] = name.split('-');
        const stale =
            pid === undefined ||
            Date.now() - Number(time) > STALE_TICKET_MS ||
            (host === HOST_TAG && Number(pid) !== process.pid && !isAlive(Number(pid)));
        if (stale) await rm(join(queue, name), { force: true });
        else live.push(name);
    }
    return live;
}

function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        // EPERM: it exists but belongs to someone else.
        return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
}

async function lockedError(dir: string, waitedMs: number, ahead: number): Promise<TrackerError> {
    const owner = await readOwner(dir);
    if (owner?.pid === process.pid && owner.host === hostname()) {
        return new TrackerError('LEDGER_UNAVAILABLE', `the ledger in ${dir} is already open in this process; reuse that instance or close it first`);
    }
    const who = owner ? `process ${owner.pid} on ${owner.host} (\`${owner.command}\`, since ${owner.since})` : 'another process';
    const queue = ahead > 0 ? `, and ${ahead} other command${ahead === 1 ? ' was' : 's were'} still waiting ahead of this one` : '';
    const stop = owner && owner.host === hostname() ? ` (kill ${owner.pid})` : '';
    return new TrackerError(
        'LEDGER_UNAVAILABLE',
        `gave up waiting for the ledger in ${dir} after ${(waitedMs / 1000).toFixed(1)} s: it is in use by ${who}${queue}; ` +
            `wait for it to finish or stop it${stop}, then retry (the embedded ledger serves one process at a time, in turn)`,
    );
}
