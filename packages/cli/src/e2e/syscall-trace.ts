/**
 * The order in which a process really issued its durability syscalls, from `strace -f -y`: the
 * only way to show, without pulling the plug, that the bytes were flushed and published before the
 * ledger block was written. Used for stores the CLI writes through the filesystem (local, sshfs).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The syscalls worth tracing: flushes, the publishing hard link, and the block file append. */
export const DURABILITY_SYSCALLS = ['fsync', 'fdatasync', 'link', 'linkat', 'rename', 'renameat2', 'pwrite64'] as const;

/** One completed syscall. `start`/`end` are the trace lines of its entry and return (equal if not interrupted). */
export interface Syscall {
    pid: number;
    name: string;
    /** The arguments as strace printed them (with `-y`, fds read `23</abs/path>`). */
    args: string;
    /** The return value text, e.g. `0` or `-1 EINVAL (Invalid argument)`. */
    result: string;
    start: number;
    end: number;
    /** Path of the first argument when it is an fd decoded by `-y`. */
    fdPath?: string;
}

/** Socket traffic, to see an HTTP request go out and its response come back (S3). */
export const NETWORK_SYSCALLS = ['write', 'writev', 'read', 'pwrite64', 'fdatasync'] as const;

/**
 * strace's prefix for running a command with `syscalls` written to `output`; `strsize` bytes of
 * each buffer are printed (paths are always printed whole).
 */
export function straceWrapper(output: string, syscalls: readonly string[] = DURABILITY_SYSCALLS, strsize = 0): string[] {
    return ['strace', '-f', '--seccomp-bpf', '-qq', '-y', '-s', String(strsize), '-o', output, '-e', `trace=${syscalls.join(',')}`, '--'];
}

const COMPLETE = /^(\d+) +(\w+)\((.*)\) += (.+)$/;
const UNFINISHED = /^(\d+) +(\w+)\((.*) <unfinished \.\.\.>$/;
const RESUMED = /^(\d+) +<\.\.\. (\w+) resumed>(.*)\) += (.+)$/;
const FD_PATH = /^\d+<([^>]*)>/;

/** Parses `strace -f -o` output into completed syscalls, in the order they returned. */
export function parseStrace(text: string): Syscall[] {
    const calls: Syscall[] = [];
    const pending = new Map<number, { name: string; args: string; start: number }>();
    const lines = text.split('\n');
    lines.forEach((line, index) => {
        let match = COMPLETE.exec(line);
        if (match) {
            calls.push(withPath({ pid: Number(match[1]), name: match[2]!, args: match[3]!, result: match[4]!, start: index, end: index }));
            return;
        }
        match = UNFINISHED.exec(line);
        if (match) {
            pending.set(Number(match[1]), { name: match[2]!, args: match[3]!, start: index });
            return;
        }
        match = RESUMED.exec(line);
        if (match) {
            const pid = Number(match[1]);
            const begun = pending.get(pid);
            pending.delete(pid);
            if (begun) calls.push(withPath({ pid, name: begun.name, args: begun.args + match[3]!, result: match[4]!, start: begun.start, end: index }));
        }
    });
    return calls;
}

function withPath(call: Syscall): Syscall {
    const path = FD_PATH.exec(call.args)?.[1];
    return path === undefined ? call : { ...call, fdPath: path };
}

/** Reads and parses a trace file. */
export async function readStrace(file: string): Promise<Syscall[]> {
    return parseStrace(await readFile(file, 'utf8'));
}

/**
 * strace's prefix that SIGKILLs the traced process when it first enters `syscall` on `path` (fault
 * injection): a crash at an exact point, e.g. the moment the ledger block is about to be written.
 */
export function killAtWrapper(syscall: string, path: string): string[] {
    return ['strace', '-f', '--seccomp-bpf', '-qq', '-o', '/dev/null', '-P', path, '-e', `trace=${syscall}`, '-e', `inject=${syscall}:signal=KILL`, '--'];
}

/**
 * Makes sure Debian's strace is installed, installing it with apt-get when missing (needs root, as
 * the sshfs tests do); waits for a dpkg lock held by another installer instead of failing.
 */
export async function ensureStrace(): Promise<void> {
    const present = await run('strace', ['-V']).then(() => true, () => false);
    if (present) return;
    if (process.getuid?.() !== 0) throw new Error('strace is missing; install it with: sudo apt-get install -y strace');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const lockWait = ['-o', 'DPkg::Lock::Timeout=600'];
    await run('apt-get', ['update', '-qq', ...lockWait], { env, timeout: 600_000 });
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...lockWait, 'strace'], { env, timeout: 600_000 });
}
