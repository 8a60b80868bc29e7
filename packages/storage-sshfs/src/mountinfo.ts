/**
 * Reads the kernel's mount table (/proc/self/mountinfo). It never blocks on a FUSE server, so it is
 * the safe first step to tell "not mounted" from "mounted" before touching a possibly stale mount.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** One line of /proc/self/mountinfo, the fields we need. */
export interface MountEntry {
    /** Absolute path where the file system is mounted. */
    mountpoint: string;
    /** File system type, e.g. `fuse.sshfs`, `ext4`. */
    fstype: string;
    /** Mount source; for sshfs the `user@host:/path` it was mounted from. */
    source: string;
    /** Device id `major:minor`. */
    device: string;
}

/** Undoes the octal escapes (`\040` for space, …) the kernel writes in mountinfo fields. */
function unescapeField(field: string): string {
    return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses the text of a mountinfo file (see proc(5)); malformed lines are skipped. */
export function parseMountinfo(text: string): MountEntry[] {
    const entries: MountEntry[] = [];
    for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        // Optional fields come between field 6 and a lone "-"; fstype and source follow it.
        const [head, tail] = splitOnce(line, ' - ');
        if (tail === undefined) continue;
        const headFields = head.split(' ');
        const tailFields = tail.split(' ');
        const device = headFields[2];
        const mountpoint = headFields[4];
        const fstype = tailFields[0];
        const source = tailFields[1];
        if (device === undefined || mountpoint === undefined || fstype === undefined || source === undefined) continue;
        entries.push({
            device,
            mountpoint: unescapeField(mountpoint),
            fstype: unescapeField(fstype),
            source: unescapeField(source),
        });
    }
    return entries;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
    const at = text.indexOf(separator);
    return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

/** The current mount table of this process's mount namespace. */
export async function readMounts(file = '/proc/self/mountinfo'): Promise<MountEntry[]> {
    return parseMountinfo(await readFile(file, 'utf8'));
}

/**
 * The mount that holds `absolutePath`: the entry with the longest mountpoint that is `absolutePath`
 * or one of its ancestors. Later entries win on ties, because a later mount on the same point hides
 * the earlier one.
 */
export function findEnclosingMount(mounts: readonly MountEntry[], absolutePath: string): MountEntry | undefined {
    let best: MountEntry | undefined;
    for (const entry of mounts) {
        if (!isSameOrInside(absolutePath, entry.mountpoint)) continue;
        if (best === undefined || entry.mountpoint.length >= best.mountpoint.length) best = entry;
    }
    return best;
}

function isSameOrInside(child: string, parent: string): boolean {
    if (child === parent) return true;
    const relative = path.relative(parent, child);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}
