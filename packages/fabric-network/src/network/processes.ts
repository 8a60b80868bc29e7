/**
 * The network's processes: each started detached in its own process group (so one signal to the
 * group reaches anything it spawned, and the process outlives the `up` command), output appended
 * to `<dir>/logs/<name>.log`, pid recorded in `<dir>/run/<name>.pid` together with the process
 * start time from /proc, so a recycled pid is never taken for (or killed as) our node.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrackerError } from '@hyperprov/errors';
import type { NodeSpec } from './node-specs.js';

interface PidFile {
    pid: number;
    /** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), when /proc exists. */
    startTime?: string;
}

export function logFile(dir: string, name: string): string {
    return join(dir, 'logs', `${name}.log`);
}

function pidFile(dir: string, name: string): string {
    return join(dir, 'run', `${name}.pid`);
}

/** Starts the node's process and records its pid. Does not wait for readiness. */
export async function startProcess(dir: string, spec: NodeSpec): Promise<number> {
    if (!existsSync(spec.program)) {
        throw new TrackerError('NOT_INITIALIZED', `${spec.name}'s program ${spec.program} is gone (the network was made with it): run \`hyperprov-network install\` to rebuild the cache, or \`down --wipe\` and \`up\` to make the network with the binaries found now`);
    }
    await Promise.all(['logs', 'run', 'home', 'tmp'].map((sub) => mkdir(join(dir, sub), { recursive: true })));
    await mkdir(spec.cwd, { recursive: true });
    const log = openSync(logFile(dir, spec.name), 'a');
    try {
        const child = spawn(spec.program, spec.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', log, log] });
        const pid = await new Promise<number>((resolve, reject) => {
            child.once('error', reject);
            child.once('spawn', () => resolve(child.pid as number));
        });
        child.unref();
        const record: PidFile = { pid, startTime: procStartTime(pid) };
        await writeFile(pidFile(dir, spec.name), `${JSON.stringify(record)}\n`);
        return pid;
    } finally {
        closeSync(log);
    }
}

/** The pid of the node's process if it is running (and is the process we started), else undefined. */
export async function runningPid(dir: string, name: string): Promise<number | undefined> {
    let record: PidFile;
    try {
        record = JSON.parse(await readFile(pidFile(dir, name), 'utf8')) as PidFile;
    } catch {
        return undefined;
    }
    return isOurProcess(record) ? record.pid : undefined;
}

/**
 * Stops the node: `signal` to its process group, up to `graceMs` for it to exit, then SIGKILL to
 * the group. Returns whether it was running. The pid file is removed either way.
 */
export async function stopProcess(dir: string, name: string, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<boolean> {
    const pid = await runningPid(dir, name);
    if (pid !== undefined) {
        signalGroup(pid, signal);
        const deadline = Date.now() + (signal === 'SIGKILL' ? 5000 : graceMs);
        while (Date.now() < deadline && isAlive(pid)) await sleep(50);
        // Leftovers: the node itself if it ignored the signal, and anything it spawned into its group.
        signalGroup(pid, 'SIGKILL');
        while (isAlive(pid)) await sleep(20);
    }
    await rm(pidFile(dir, name), { force: true });
    return pid !== undefined;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
        process.kill(-pid, signal);
    } catch {
        // the group is gone already
    }
}

function isOurProcess(record: PidFile): boolean {
    if (!isAlive(record.pid)) return false;
    const now = procStartTime(record.pid);
    return record.startTime === undefined || now === undefined || now === record.startTime;
}

/**
 * Alive and not a zombie (a killed child of this very process lingers until it is reaped). A Go
 * program's main thread can turn zombie while its other threads still exit, holding the sockets
 * open: it only counts as gone once it has no thread left besides the zombie leader.
 */
export function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
    }
    const state = procStat(pid)?.[0];
    if (state !== 'Z' && state !== 'X') return true;
    try {
        return readdirSync(`/proc/${pid}/task`).length > 1;
    } catch {
        return false;
    }
}

/** Fields of /proc/<pid>/stat after the command name (state first), or undefined without /proc. */
function procStat(pid: number): string[] | undefined {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    } catch {
        return undefined;
    }
}

function procStartTime(pid: number): string | undefined {
    // Field 22 overall; the slice after the command name starts at field 3.
    return procStat(pid)?.[19];
}

/**
 * Last resort for test harnesses, from a process 'exit' handler (synchronous code only): SIGKILL
 * every process group whose pid file is in `<dir>/run`, so a crashed or interrupted test run
 * leaves no Fabric process behind.
 */
export function killAllSync(dir: string): void {
    let files: string[];
    try {
        files = readdirSync(join(dir, 'run')).filter((f) => f.endsWith('.pid'));
    } catch {
        return;
    }
    for (const file of files) {
        try {
            const record = JSON.parse(readFileSync(join(dir, 'run', file), 'utf8')) as PidFile;
            if (isOurProcess(record)) signalGroup(record.pid, 'SIGKILL');
        } catch {
            // unreadable pid file: nothing we can safely kill
        }
    }
}
