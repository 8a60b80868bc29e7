// CPU time of the other processes on the data path (MinIO; sshd, sftp and the client-side sshfs +
// ssh processes), read from /proc, to tell whether a figure was bound by the 2 shared cores.
import { readFile, readdir } from 'node:fs/promises';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime of one process, in seconds (0 if it is gone). */
async function cpuOf(pid) {
    try {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
        return 0;
    }
}

/** Pids whose command line contains `needle`, and their children. */
export async function pidsMatching(needle) {
    const pids = [];
    for (const name of await readdir('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
        if (cmdline.replaceAll('\0', ' ').includes(needle)) pids.push(Number(name));
    }
    const children = [];
    for (const pid of pids) {
        for (const task of await readdir(`/proc/${pid}/task`).catch(() => [])) {
            const list = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
            children.push(...list.split(' ').filter(Boolean).map(Number));
        }
    }
    return [...new Set([...pids, ...children])];
}

/** Total CPU seconds of `pids` (a function, so processes started since are included). */
export async function cpuOfPids(pids) {
    let total = 0;
    for (const pid of await pids()) total += await cpuOf(pid);
    return total;
}
