/**
 * Mounting and unmounting with the sshfs / fusermount command-line tools (Debian packages `sshfs`
 * and `fuse3`). Foreign errors are translated into StoreError here, at this one boundary.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StoreError } from '@hyperprov/storage';
import { checkMount } from './check-mount.js';
import { readMounts } from './mountinfo.js';

/**
 * Options every mount gets. `reconnect` + keep-alives let a mount survive a restarted server or a
 * dropped connection instead of going stale for good, and bound how long an operation on a dead
 * connection can hang (15 s × 3). BatchMode stops ssh from prompting for a password, which would
 * hang a non-interactive tracker forever.
 */
export const BASE_SSHFS_OPTIONS: Readonly<Record<string, string | true>> = {
    reconnect: true,
    ServerAliveInterval: '15',
    ServerAliveCountMax: '3',
    BatchMode: 'yes',
    ConnectTimeout: '10',
};

/**
 * Throughput options, measured with bench/sshfs-copy.mjs on loopback (see the package README):
 * AES-GCM is several times cheaper than ssh's default chacha20-poly1305 on CPUs with AES-NI, and
 * compression only costs CPU on model weights and already-compressed data.
 */
export const FAST_SSHFS_OPTIONS: Readonly<Record<string, string | true>> = {
    Ciphers: 'aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com',
    Compression: 'no',
};

export interface MountSshfsOptions {
    /** What to mount: `user@host:/path` (as for scp). */
    remote: string;
    /** Local directory to mount on; created if missing. */
    mountpoint: string;
    /** SSH port, if not 22 or the one in ~/.ssh/config. */
    port?: number;
    /** Private key to log in with. */
    identityFile?: string;
    /**
     * Extra `-o` options for sshfs and ssh (e.g. `{ StrictHostKeyChecking: 'no' }`); `true` means a
     * flag without value. They override the defaults.
     */
    options?: Record<string, string | number | true>;
    /** How long mounting may take; default 30 s. */
    timeoutMs?: number;
}

/** Mounts `remote` on `mountpoint` with sshfs and checks that the mount answers. */
export async function mountSshfs(options: MountSshfsOptions): Promise<void> {
    if (!/^[^\s:]+:.*/.test(options.remote)) {
        throw new StoreError('INVALID_ARGUMENT', `sshfs remote "${options.remote}" must look like user@host:/path.`);
    }
    const mountpoint = path.resolve(options.mountpoint);
    const before = await checkMount(mountpoint);
    if (before.state !== 'not-mounted' && before.mountpoint === mountpoint) {
        throw new StoreError(
            'INVALID_ARGUMENT',
            `${mountpoint} is already mounted from ${before.source}; unmount it first (fusermount -u ${mountpoint}).`,
        );
    }
    await mkdir(mountpoint, { recursive: true });
    const merged: Record<string, string | number | true> = { ...BASE_SSHFS_OPTIONS, ...FAST_SSHFS_OPTIONS };
    if (options.port !== undefined) merged.port = options.port;
    if (options.identityFile !== undefined) {
        const file = options.identityFile.replace(/^~(?=\/|$)/, os.homedir());
        merged.IdentityFile = path.resolve(file);
    }
    Object.assign(merged, options.options);
    const optionString = Object.entries(merged)
        // FUSE splits -o on commas; a literal comma inside a value (a cipher list) is escaped.
        .map(([key, value]) => (value === true ? key : `${key}=${String(value).replaceAll(',', '\\,')}`))
        .join(',');
    try {
        await run('sshfs', [options.remote, mountpoint, '-o', optionString], options.timeoutMs ?? 30_000);
    } catch (error) {
        throw new StoreError(
            'UNAVAILABLE',
            `Could not mount ${options.remote} on ${mountpoint}: ${describe(error)}. ` +
                `Check that sshfs is installed (apt-get install sshfs), that "ssh${options.port ? ` -p ${options.port}` : ''} ${options.remote.split(':')[0]}" logs in without a password prompt, and that the remote path exists.`,
            { cause: error },
        );
    }
    const after = await checkMount(mountpoint);
    if (after.state !== 'mounted') {
        throw new StoreError('UNAVAILABLE', `sshfs exited successfully but ${mountpoint} is ${after.state}.`);
    }
}

export interface UnmountSshfsOptions {
    /** How long a clean unmount may take before falling back to a lazy one; default 10 s. */
    timeoutMs?: number;
}

/**
 * Unmounts an sshfs mount: `fusermount -u`, falling back to a lazy unmount (`fusermount -uz`, then
 * `umount -l`) when the mount is busy or its server is gone. Does nothing if nothing is mounted there.
 */
export async function unmountSshfs(mountpoint: string, options: UnmountSshfsOptions = {}): Promise<void> {
    const absolute = path.resolve(mountpoint);
    const timeoutMs = options.timeoutMs ?? 10_000;
    const attempts: Array<[string, string[]]> = [
        ['fusermount', ['-u', absolute]],
        ['fusermount', ['-u', '-z', absolute]],
        ['umount', ['-l', absolute]],
    ];
    const failures: string[] = [];
    for (const [command, args] of attempts) {
        if (!(await isMountedAt(absolute))) return;
        try {
            await run(command, args, timeoutMs);
        } catch (error) {
            failures.push(`${command} ${args.join(' ')}: ${describe(error)}`);
        }
    }
    if (await isMountedAt(absolute)) {
        throw new StoreError('UNAVAILABLE', `Could not unmount ${absolute}: ${failures.join('; ')}`);
    }
}

async function isMountedAt(absolute: string): Promise<boolean> {
    // Only the mount table: probing the server could hang on exactly the mounts we want gone.
    return (await readMounts()).some((entry) => entry.mountpoint === absolute);
}

function run(command: string, args: string[], timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
        execFile(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, _stdout, stderr) => {
            if (error) {
                const detail = stderr.trim() || error.message;
                reject(Object.assign(new Error(detail), { code: (error as NodeJS.ErrnoException).code }));
            } else {
                resolve();
            }
        });
    });
}

function describe(error: unknown): string {
    if (error instanceof Error) {
        return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'command not found' : error.message;
    }
    return String(error);
}
