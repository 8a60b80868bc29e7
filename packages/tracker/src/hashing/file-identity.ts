/** A file's identity for change detection and the hash cache: (device, inode, size, mtime in ns). */

import type { BigIntStats } from 'node:fs';

/** Identity of a file version. Any write changes size or mtime; a replaced file changes inode. */
export interface FileIdentity {
    dev: bigint;
    ino: bigint;
    size: bigint;
    mtimeNs: bigint;
}

/** The identity in `stats` (from `stat(path, { bigint: true })`). */
export function identityOf(stats: BigIntStats): FileIdentity {
    return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs };
}

/** A string key for maps and the persisted cache. */
export function identityKey(identity: FileIdentity): string {
    return `${identity.dev}:${identity.ino}:${identity.size}:${identity.mtimeNs}`;
}

/** True if both identities name the same, unchanged file version. */
export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
    return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}
