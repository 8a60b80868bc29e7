/**
 * File names that are not valid UTF-8. Node decodes every file name as UTF-8 and puts U+FFFD where
 * bytes do not decode, so `caf\xe9` (Latin-1) and `caf\xfe` both arrive as "caf\uFFFD": recorded
 * like that, two different files would share one manifest path, and neither could be found again
 * by that path. Only the raw bytes (readdir with encoding 'buffer') tell such a name from one
 * that really contains U+FFFD.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

const fatal = new TextDecoder('utf-8', { fatal: true });

/**
 * If a segment of `relative` (a path below `root` as Node decoded it) is a name whose bytes are
 * not valid UTF-8, returns that path with the bad bytes written `\xNN`, to show the user;
 * otherwise undefined. Cheap for normal names: only names holding U+FFFD are looked up.
 */
export async function undecodablePath(root: string, relative: string): Promise<string | undefined> {
    if (!relative.includes('\uFFFD')) return undefined;
    let dir: Buffer = Buffer.from(root);
    const shown: string[] = [];
    for (const segment of relative.split('/')) {
        let raw: Buffer = Buffer.from(segment);
        if (segment.includes('\uFFFD')) {
            const names = await readdir(dir, { encoding: 'buffer' }).catch(() => [] as Buffer[]);
            const candidates = names.filter((name) => name.toString('utf8') === segment);
            const bad = candidates.find((name) => !name.equals(raw));
            if (bad) return [...shown, escapeUndecodable(bad)].join('/');
            raw = candidates[0] ?? raw;
        }
        shown.push(segment);
        dir = Buffer.concat([dir, Buffer.from(path.sep), raw]);
    }
    return undefined;
}

/** `bytes` as text, with every byte that is not part of a valid UTF-8 sequence written `\xNN`. */
export function escapeUndecodable(bytes: Buffer): string {
    let out = '';
    let i = 0;
    while (i < bytes.length) {
        const lead = bytes[i] as number;
        const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead < 0xe0 ? 2 : lead >= 0xe0 && lead < 0xf0 ? 3 : lead >= 0xf0 && lead < 0xf5 ? 4 : 0;
        if (length > 0 && i + length <= bytes.length) {
            try {
                out += fatal.decode(bytes.subarray(i, i + length));
                i += length;
                continue;
            } catch {
                // Not a valid sequence (bad continuation, overlong form, surrogate): escape the lead byte.
            }
        }
        out += `\\x${lead.toString(16).padStart(2, '0')}`;
        i += 1;
    }
    return out;
}
