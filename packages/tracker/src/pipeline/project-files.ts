/**
 * The project's own files are never recorded. `.hyperprov/` holds the identity's private key,
 * the config and the ledger; recording one would copy it into the store, where anyone who may
 * fetch can read it. A path is not enough to tell: a file is refused when its real path (symbolic
 * links resolved) is inside `.hyperprov/`, or when it is a hard link to a file there (same device
 * and inode), which no path comparison can see.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathWithin } from '../config/project-dir.js';
import { TrackerError } from '@hyperprov/errors';

/**
 * Throws INVALID_ARGUMENT when `file` is one of the project's own files under `hyperprovDir`.
 * `skip` lists directories under it not to search for hard links (the project's object store:
 * its objects are copies of recorded bytes, not secrets, and there may be millions). A file that
 * cannot be resolved is let through: recording it reports why it cannot be read.
 */
export async function assertNotProjectFile(file: string, hyperprovDir: string, skip: readonly string[] = []): Promise<void> {
    let real: string;
    let ownDir: string;
    try {
        real = await realpath(file);
        ownDir = await realpath(hyperprovDir);
    } catch {
        return;
    }
    const hint = 'the project’s identity key, config and ledger are never recorded (they would be readable by anyone who can fetch); to share the certificate, copy identity/cert.pem out of .hyperprov/ first';
    const inside = pathWithin(ownDir, real);
    if (inside !== undefined) {
        throw new TrackerError('INVALID_ARGUMENT', `${file} is inside the project's .hyperprov/ (${inside.split(path.sep).join('/') || '.'}): ${hint}`);
    }
    const info = await stat(real);
    if (!info.isFile() || info.nlink < 2) return;
    const skipped = new Set(await Promise.all(skip.map((dir) => realpath(dir).catch(() => path.resolve(dir)))));
    const twin = await findInode(ownDir, info.dev, info.ino, skipped);
    if (twin !== undefined) {
        throw new TrackerError(
            'INVALID_ARGUMENT',
            `${file} is a hard link to the project's .hyperprov/${path.relative(ownDir, twin).split(path.sep).join('/')}: ${hint}`,
        );
    }
}

/** The first file under `dir` with this device and inode, not descending into `skip`. */
async function findInode(dir: string, dev: number, ino: number, skip: ReadonlySet<string>): Promise<string | undefined> {
    let entries;
    try {
        entries = await readdir(dir, { withFileTypes: true });
    } catch {
        return undefined;
    }
    for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
            if (skip.has(full)) continue;
            const found = await findInode(full, dev, ino, skip);
            if (found !== undefined) return found;
        } else if (entry.isFile()) {
            const info = await lstat(full).catch(() => undefined);
            if (info !== undefined && info.dev === dev && info.ino === ino) return full;
        }
    }
    return undefined;
}
