/** Whether a process id names a live process: a zombie counts as gone (it will never drain or finish a snapshot). */
import { readFileSync } from 'node:fs';

export function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
    let stat: string;
    try {
        // Synchronous on purpose: a tiny procfs read, only when a lock or an entry looks foreign.
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
        return true;
    }
    return !/^\d+ \(.*\) Z/.test(stat);
}
