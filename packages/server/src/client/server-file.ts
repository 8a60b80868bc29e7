/**
 * `.hyperprov/server.json`: how a running project server is found. Written by the server (mode
 * 0600, because the token in it is the key to the project), read by the CLI's fast path and by
 * {@link findServer}. Node built-ins only: the CLI reads it on every start.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The file's name inside `.hyperprov/`. */
export const SERVER_FILENAME = 'server.json';

/** What `server.json` holds. */
export interface ServerFile {
    /** Base URL, e.g. `http://127.0.0.1:41234`. */
    url: string;
    host: string;
    port: number;
    pid: number;
    /** Bearer token every request must carry (32 random bytes, base64url). */
    token: string;
    /** Version of the server package. */
    version: string;
    /** ISO time the server started. */
    startedAt: string;
}

/** Path of `server.json` for the project rooted at `projectDir`. */
export function serverFilePath(projectDir: string): string {
    return path.join(projectDir, '.hyperprov', SERVER_FILENAME);
}

/** The parsed `server.json` of a project, or undefined when there is none or it is not one. */
export function readServerFile(projectDir: string): ServerFile | undefined {
    let value: unknown;
    try {
        value = JSON.parse(readFileSync(serverFilePath(projectDir), 'utf8'));
    } catch {
        return undefined;
    }
    const file = value as Partial<ServerFile> | null;
    if (!file || typeof file.url !== 'string' || typeof file.token !== 'string' || typeof file.pid !== 'number' || !Number.isInteger(file.pid)) return undefined;
    return file as ServerFile;
}

/**
 * True while `pid` runs and is not a zombie. A server killed with -9 leaves its file behind; its
 * pid is then gone (or, rarely, reused: the request then fails to connect and the caller falls
 * back as for a dead server).
 */
export function isProcessAlive(pid: number): boolean {
    if (pid <= 0) return false;
    try {
        process.kill(pid, 0);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
    }
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
        return state !== 'Z' && state !== 'X';
    } catch {
        // No /proc (macOS): kill(0) is all there is.
        return true;
    }
}

/**
 * The project directory for a CLI invocation: the nearest directory upward from `start` holding
 * `.hyperprov/` (as the tracker finds it, minus its checks: a folder that is not a usable project
 * has no server either, and the local run reports the problem).
 */
export function findProjectRoot(start: string): string | undefined {
    let dir = path.resolve(start);
    for (;;) {
        if (existsSync(path.join(dir, '.hyperprov'))) return dir;
        const parent = path.dirname(dir);
        if (parent === dir) return undefined;
        dir = parent;
    }
}
