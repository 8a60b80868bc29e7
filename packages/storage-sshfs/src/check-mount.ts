/**
 * Tells whether a path is on a live SSHFS mount. Writing into a mountpoint whose mount is gone
 * would silently put the bytes on the local disk, under the mount, where nobody finds them again;
 * writing into a stale mount fails late or hangs. Stores call this before every operation.
 */
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { StoreError } from '@hyperprov/storage';
import { findEnclosingMount, readMounts, type MountEntry } from './mountinfo.js';

/** File system type the kernel reports for sshfs mounts. */
export const SSHFS_FSTYPE = 'fuse.sshfs';

/** Default bound on how long a probe of the mount may take before it counts as stale. */
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

/** Result of {@link checkMount}. */
export type MountStatus =
    /** An sshfs mount holds the path and its server answered. */
    | { state: 'mounted'; mountpoint: string; source: string }
    /** No sshfs mount holds the path (a bare directory, or another file system). */
    | { state: 'not-mounted'; mountpoint: string; fstype: string }
    /** An sshfs mount holds the path but its server did not answer in time or answered with an error. */
    | { state: 'stale'; mountpoint: string; source: string; reason: string };

export interface CheckMountOptions {
    /** How long the server may take to answer a probe; default {@link DEFAULT_PROBE_TIMEOUT_MS}. */
    timeoutMs?: number;
}

/**
 * Probes still waiting for their server, by mountpoint. Concurrent checks share one probe. A probe
 * that hangs blocks one libuv thread until sshfs gives up on the server (ServerAliveInterval ×
 * ServerAliveCountMax), so while it hangs no second one is started: later checks wait on the same
 * request, each for at most one time budget, then report the mount stale.
 */
const pendingProbes = new Map<string, { settled: Promise<string | undefined>; startedAt: number }>();

/**
 * Checks that `target` (a mountpoint, or a directory inside one) is on a live sshfs mount:
 * first the kernel mount table (never blocks), then one round trip to the server (statfs, which FUSE
 * does not cache) bounded by `timeoutMs`.
 */
export async function checkMount(target: string, options: CheckMountOptions = {}): Promise<MountStatus> {
    const absolute = path.resolve(target);
    const entry = findEnclosingMount(await readMounts(), absolute);
    if (entry === undefined || entry.fstype !== SSHFS_FSTYPE) {
        return { state: 'not-mounted', mountpoint: entry?.mountpoint ?? '/', fstype: entry?.fstype ?? 'unknown' };
    }
    const reason = await probe(entry, options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS);
    if (reason !== undefined) return { state: 'stale', mountpoint: entry.mountpoint, source: entry.source, reason };
    return { state: 'mounted', mountpoint: entry.mountpoint, source: entry.source };
}

/** Resolves to undefined if the server answered, or to why it is considered stale. */
async function probe(entry: MountEntry, timeoutMs: number): Promise<string | undefined> {
    let pending = pendingProbes.get(entry.mountpoint);
    if (pending === undefined) {
        const settled = statfs(entry.mountpoint).then(
            () => undefined,
            (error: NodeJS.ErrnoException) => `the server answered ${error.code ?? error.message}`,
        );
        const started = { settled, startedAt: Date.now() };
        pendingProbes.set(entry.mountpoint, started);
        void settled.finally(() => {
            if (pendingProbes.get(entry.mountpoint) === started) pendingProbes.delete(entry.mountpoint);
        });
        pending = started;
    }
    // A caller joining an overdue probe still gives it a full budget: when the server comes back,
    // that old request is answered first, and the caller should see the recovery.
    const remaining = pending.startedAt + timeoutMs - Date.now();
    const waitMs = remaining > 0 ? remaining : timeoutMs;
    const staleReason = `the server did not answer within ${timeoutMs} ms`;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(staleReason), waitMs);
    });
    try {
        return await Promise.race([pending.settled, timedOut]);
    } finally {
        clearTimeout(timer);
    }
}

/**
 * Throws StoreError UNAVAILABLE, with a message that says how to fix it, unless `target` is on a
 * live sshfs mount. `remote` (`user@host:/path`), when known, makes the hint a ready command.
 */
export async function assertMounted(target: string, options: CheckMountOptions & { remote?: string } = {}): Promise<void> {
    const status = await checkMount(target, options);
    if (status.state === 'mounted') return;
    const remote = options.remote ?? 'user@host:/path';
    if (status.state === 'not-mounted') {
        throw new StoreError(
            'UNAVAILABLE',
            `${path.resolve(target)} is not on an sshfs mount (it is on ${status.fstype} at ${status.mountpoint}); ` +
                `refusing to write into the bare directory. Mount it first: ` +
                `sshfs ${remote} ${path.resolve(target)} -o reconnect,ServerAliveInterval=15,ServerAliveCountMax=3 ` +
                `(or create the store with mount: true).`,
        );
    }
    throw new StoreError(
        'UNAVAILABLE',
        `The sshfs mount at ${status.mountpoint} (${status.source}) is stale: ${status.reason}. ` +
            `Check that the SSH server is reachable; if it does not recover, remount: ` +
            `fusermount -u ${status.mountpoint} && sshfs ${status.source} ${status.mountpoint} -o reconnect,ServerAliveInterval=15,ServerAliveCountMax=3`,
    );
}
