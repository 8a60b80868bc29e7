/**
 * A file version's identity, for change detection and the hash cache: device, inode, size, and
 * the modification and change times in ns. ctime is included because mtime can be set back
 * (`cp -p`, `touch -d`, `rsync -t` in place) while ctime cannot: without it, a same-size rewrite
 * that restores the old mtime would look unchanged and the cache would return a stale checksum.
 */

import type { BigIntStats } from 'node:fs';

/** Identity of a file version. Any write changes size, mtime or ctime; a replaced file changes inode. */
export interface FileIdentity {
    dev: bigint;
    ino: bigint;
    size: bigint;
    mtimeNs: bigint;
    ctimeNs: bigint;
}

/** The identity in `stats` (from `stat(path, { bigint: true })`). */
export function identityOf(stats: BigIntStats): FileIdentity {
    return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs, ctimeNs: stats.ctimeNs };
}

/** A string key for maps and the persisted cache. */
export function identityKey(identity: FileIdentity): string {
    return `${identity.dev}:${identity.ino}:${identity.size}:${identity.mtimeNs}:${identity.ctimeNs}`;
}

/** True if both identities name the same, unchanged file version. */
export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
    return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}
