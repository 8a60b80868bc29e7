/**
 * One checkpoint as the watcher sees it, a file or a checkpoint directory: its fingerprint (what
 * "unchanged" compares) and whether it is complete (settled, plus the format markers that exist).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkFileFormat, type Completeness } from './checkpoint-format.js';
import { HF_CHECKPOINT_DIR, isTempName } from './naming.js';

/** What "unchanged" compares: for a directory, over every file and folder inside it. */
export interface Fingerprint {
    /** Bytes: the file's size, or the sum over a directory's files. */
    size: number;
    /** The file's mtime, or the newest mtime of a directory's files (what the outbox's `expect` compares). */
    mtimeMs: number;
    /** Newest mtime of anything, folders included (a file added or removed changes its folder's): what settling waits on. */
    newestMs: number;
    /** Number of files (a directory's; 1 for a file). */
    files: number;
    /** A writer's temporary file inside a directory: it is still being written. */
    temp?: string;
}

export function sameFingerprint(a: Fingerprint | undefined, b: Fingerprint | undefined): boolean {
    return a !== undefined && b !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs && a.newestMs === b.newestMs && a.files === b.files && a.temp === b.temp;
}

/** Stats a file or walks a directory; undefined when it is gone (rotated away, renamed). */
export async function fingerprint(abs: string): Promise<Fingerprint | undefined> {
    try {
        const st = await stat(abs);
        if (st.isFile()) return { size: st.size, mtimeMs: st.mtimeMs, newestMs: st.mtimeMs, files: 1 };
        if (!st.isDirectory()) return undefined;
        const fp: Fingerprint = { size: 0, mtimeMs: 0, newestMs: st.mtimeMs, files: 0 };
        await walk(abs, fp);
        return fp;
    } catch (error) {
        if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return undefined;
        throw error;
    }
}

async function walk(dir: string, fp: Fingerprint): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
        const child = path.join(dir, entry.name);
        if (isTempName(entry.name)) fp.temp ??= path.basename(child);
        let st;
        try {
            st = await stat(child);
        } catch {
            // Renamed away between readdir and stat: the folder's mtime changed too, so it settles again.
            continue;
        }
        fp.newestMs = Math.max(fp.newestMs, st.mtimeMs);
        if (st.isDirectory()) await walk(child, fp);
        else if (st.isFile() && !isTempName(entry.name)) {
            fp.size += st.size;
            fp.files++;
            fp.mtimeMs = Math.max(fp.mtimeMs, st.mtimeMs);
        }
    }
}

/** Files of a directory, relative to it with `/`, temporary names left out. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (isTempName(entry.name)) continue;
        const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
        if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)));
        else if (entry.isFile()) out.push(rel);
    }
    return out;
}

/**
 * Whether a directory is a checkpoint at all (judged by what is in it, since any folder may sit
 * in the models folder): Hugging Face's `checkpoint-N`, a folder with a sharded-weights index or
 * a trainer state, or a TensorFlow SavedModel.
 */
export async function isCheckpointDir(abs: string): Promise<boolean> {
    if (HF_CHECKPOINT_DIR.test(path.basename(abs))) return true;
    try {
        const names = await readdir(abs);
        return names.some((name) => name === 'trainer_state.json' || name === 'saved_model.pb' || name.endsWith('.index.json'));
    } catch {
        return false;
    }
}

/**
 * Whether a settled directory is a complete checkpoint:
 * - no writer's temporary file inside;
 * - `checkpoint-N/`: `trainer_state.json` exists and parses (the Trainer writes it last);
 * - each `*.index.json` with a `weight_map` (sharded safetensors or `.bin`): every shard it names is present;
 * - every file passes its format markers (zip end record, safetensors header), shards included.
 */
export async function checkDirectory(abs: string, fp: Fingerprint): Promise<Completeness> {
    if (fp.temp !== undefined) return { complete: false, reason: `a temporary file is still there (${fp.temp})` };
    if (fp.files === 0) return { complete: false, reason: 'empty' };
    const files = await listFiles(abs);
    const present = new Set(files);
    if (HF_CHECKPOINT_DIR.test(path.basename(abs))) {
        if (!present.has('trainer_state.json')) return { complete: false, reason: 'trainer_state.json not written yet' };
        const state = await readJson(path.join(abs, 'trainer_state.json'));
        if (state === undefined) return { complete: false, reason: 'trainer_state.json is not complete JSON yet' };
    }
    for (const index of files.filter((name) => name.endsWith('.index.json'))) {
        const parsed = (await readJson(path.join(abs, index))) as { weight_map?: Record<string, unknown> } | undefined;
        if (parsed === undefined) return { complete: false, reason: `${index} is not complete JSON yet` };
        if (typeof parsed.weight_map !== 'object' || parsed.weight_map === null) continue;
        const dir = path.posix.dirname(index);
        for (const shard of new Set(Object.values(parsed.weight_map).map(String))) {
            const rel = dir === '.' ? shard : `${dir}/${shard}`;
            if (!present.has(rel)) return { complete: false, reason: `shard ${rel} named by ${index} is missing` };
        }
    }
    for (const file of files) {
        const verdict = await checkFileFormat(path.join(abs, file));
        if (!verdict.complete) return { complete: false, reason: `${file}: ${verdict.reason}` };
    }
    return { complete: true };
}

async function readJson(file: string): Promise<unknown> {
    try {
        return JSON.parse(await readFile(file, 'utf8'));
    } catch {
        return undefined;
    }
}
