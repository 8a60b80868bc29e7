/** Small helpers over /proc to find and signal the processes a test server started. */
import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid of `pid`, or undefined if it is gone. */
function parentOf(pid: number): number | undefined {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // The command name in parentheses may contain spaces; fields after it are plain.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[1]);
    } catch {
        return undefined;
    }
}

/** `pid` and all its living descendants, parents first. */
export function processTree(pid: number): number[] {
    const children = new Map<number, number[]>();
    for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        const child = Number(name);
        const parent = parentOf(child);
        if (parent === undefined) continue;
        const list = children.get(parent) ?? [];
        list.push(child);
        children.set(parent, list);
    }
    const tree: number[] = [];
    const queue = [pid];
    while (queue.length > 0) {
        const next = queue.shift()!;
        if (!isAlive(next)) continue;
        tree.push(next);
        queue.push(...(children.get(next) ?? []));
    }
    return tree;
}

/** True if a process with that pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
    } catch {
        return false;
    }
}

/** Sends `signal` to every pid, ignoring ones that exited meanwhile. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
    for (const pid of pids) {
        try {
            process.kill(pid, signal);
        } catch {
            // Already gone.
        }
    }
}

/** Waits until none of `pids` is alive, up to `timeoutMs`; returns whether they all exited. */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (pids.some(isAlive)) {
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
}

/**
 * Pids of the sshfs daemons serving `mountpoint`, found by their command line (sshfs daemonizes,
 * so its pid is not the one we spawned). For tests that simulate a crashed sshfs.
 */
export function sshfsPidsFor(mountpoint: string): number[] {
    const pids: number[] = [];
    for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
            const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
            if (argv[0]?.endsWith('sshfs') && argv.includes(mountpoint)) pids.push(Number(name));
        } catch {
            // Exited meanwhile.
        }
    }
    return pids;
}

/** CPU seconds (user + system, all threads) a living process has used so far; 0 if it is gone. */
export function cpuSecondsOf(pid: number): number {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // Fields 14 and 15 of proc(5) (utime, stime), counted from field 3 here; in clock ticks of 1/100 s.
        return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
        return 0;
    }
}
