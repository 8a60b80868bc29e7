/**
 * The project server that runs for a project, as its `.hyperprov/server.json` says. The server
 * keeps the embedded ledger open for as long as it runs, so a tracker opened beside it (a JS
 * trainer handing epochs over through the outbox) must not queue for that ledger: the server
 * never lets go, and the wait ran into the lock's 120 s timeout. The file is written by
 * @hyperprov/server, which depends on this package; only its `pid` and `url` are read here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from '../epoch/process-alive.js';

/** Another live process serving this project, or undefined (none, a stale file, or this process). */
export function runningServer(hyperprovDir: string): { pid: number; url: string } | undefined {
    let file: { pid?: unknown; url?: unknown };
    try {
        file = JSON.parse(readFileSync(path.join(hyperprovDir, 'server.json'), 'utf8')) as typeof file;
    } catch {
        return undefined;
    }
    if (typeof file?.pid !== 'number' || !Number.isSafeInteger(file.pid) || file.pid <= 0 || file.pid === process.pid) return undefined;
    if (!isAlive(file.pid)) return undefined;
    return { pid: file.pid, url: typeof file.url === 'string' ? file.url : 'its address in server.json' };
}
