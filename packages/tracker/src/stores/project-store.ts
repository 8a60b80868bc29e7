/**
 * A project's local store lives inside the project (`.hyperprov/objects` by default) and is named
 * relative to it — `file:.hyperprov/objects` in the config and in every record's `location` — so
 * renaming, moving or copying the project directory takes the store along and keeps its records
 * readable. Stores outside the project stay absolute: they do not move with it.
 *
 * Projects made before relative locations existed carry absolute `file:///…` URLs in their config
 * and records. In place, an absolute URL inside the project is used in its relative form. Moved
 * or copied, their config still names the old place, `<old>/.hyperprov/objects`: that is taken to
 * be this project's own `.hyperprov/objects` when it exists (init never points a project's store
 * into another project's `.hyperprov/`), and records carrying the old URL are read from there.
 * Fetch and verify check every byte against the record, so a wrong guess could only show up as a
 * mismatch, never as wrong bytes.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { formatStoreUrl } from '@hyperprov/storage';
import { HYPERPROV_DIRNAME, pathWithin } from '../config/project-dir.js';
import { parseStoreLocation, type StoreModes } from './registry.js';

/** The store a project writes to, and store URLs of its older records that mean the same store. */
export interface ProjectStore {
    /** URL new bytes go to (and new records carry). */
    url: string;
    /** Canonical URL found in older records or configs -> the URL to open instead. */
    aliases: Map<string, string>;
}

/**
 * `url` in its project-relative form (`file:<path>`) when it names a local directory inside
 * `projectDir`; otherwise the canonical form of `url`. Bare paths are resolved against `cwd`.
 */
export function toProjectRelative(url: string, projectDir: string, cwd: string = projectDir): string {
    const parsed = parseStoreLocation(url, cwd, projectDir);
    if (parsed.kind !== 'file' || parsed.relative !== undefined) return formatStoreUrl(parsed);
    const relative = pathWithin(projectDir, parsed.root);
    if (relative === undefined || relative === '') return formatStoreUrl(parsed);
    return formatStoreUrl({ kind: 'file', root: parsed.root, relative: relative.split(path.sep).join('/') });
}

/** The store the project at `projectDir` uses, given the `store` of its config (see above). */
export async function resolveProjectStore(configured: string, projectDir: string): Promise<ProjectStore> {
    const aliases = new Map<string, string>();
    const parsed = parseStoreLocation(configured, projectDir, projectDir);
    if (parsed.kind !== 'file' || parsed.relative !== undefined) return { url: formatStoreUrl(parsed), aliases };
    const absolute = formatStoreUrl(parsed);
    const inPlace = toProjectRelative(absolute, projectDir);
    if (inPlace !== absolute) {
        aliases.set(absolute, inPlace);
        return { url: inPlace, aliases };
    }
    const marker = `${path.sep}${HYPERPROV_DIRNAME}${path.sep}`;
    const at = parsed.root.lastIndexOf(marker);
    if (at >= 0) {
        const own = path.join(HYPERPROV_DIRNAME, parsed.root.slice(at + marker.length));
        if (await isDirectory(path.join(projectDir, own))) {
            const moved = formatStoreUrl({ kind: 'file', root: path.join(projectDir, own), relative: own.split(path.sep).join('/') });
            aliases.set(absolute, moved);
            return { url: moved, aliases };
        }
    }
    return { url: absolute, aliases };
}

/**
 * Permissions for what the project's stores create: never more than the project directory
 * allows, and never anything for other users. Objects are read-only (0400, or 0440 when the
 * group may read the project); folders keep the group bits of the project directory (a project
 * shared by a group stays usable by it) and drop the world's. Whatever the source file's mode,
 * since one object serves every file of its bytes.
 */
export async function projectStoreModes(projectDir: string): Promise<StoreModes> {
    const mode = (await stat(projectDir)).mode & 0o777;
    return { fileMode: 0o400 | (mode & 0o040), dirMode: 0o700 | (mode & 0o070) };
}

async function isDirectory(dir: string): Promise<boolean> {
    try {
        return (await stat(dir)).isDirectory();
    } catch {
        return false;
    }
}
