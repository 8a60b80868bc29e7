/**
 * The hash cache: `sha256` of file versions already hashed, keyed by (device, inode, size, mtime
 * and ctime in ns; see file-identity.ts), so unchanged files are not read again (dataset
 * re-scans, re-recording a checkpoint).
 *
 * Persisted as an append-only JSON-lines log in the given directory; later lines win, a torn last
 * line (crash mid-append) is ignored, and the log is compacted when mostly superseded. Appends are
 * single small O_APPEND writes, so concurrent trackers on one directory interleave whole lines.
 */

import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import { identityKey, type FileIdentity } from './file-identity.js';

/** Options of {@link openHashCache}. */
export interface HashCacheOptions {
    /**
     * Versions modified (mtime) less than this long before hashing started are not cached
     * (default 2 s, the coarsest common timestamp granularity): a write in the same timestamp tick
     * would keep the times, so such an entry could go stale (git's "racily clean"). A version whose
     * old mtime was set back is safe to cache: any later write moves its mtime to "now".
     */
    racyWindowMs?: number;
}

/** Cached checksums of file versions. */
export interface HashCache extends AsyncDisposable {
    /** The cached `sha256:<hex>` of this exact file version, if any. */
    get(identity: FileIdentity): string | undefined;
    /**
     * Remembers a checksum. `hashStartedMs` is when reading began (Date.now()); versions modified
     * within the racy window before it are skipped. Returns whether it was stored.
     */
    set(identity: FileIdentity, checksum: string, hashStartedMs: number): Promise<boolean>;
    readonly size: number;
    /** Lookups answered / missed since opening. */
    readonly hits: number;
    readonly misses: number;
    /** Waits for pending appends and closes the log. Idempotent. */
    close(): Promise<void>;
}

const LOG_NAME = 'hashes.jsonl';
const CHECKSUM = /^sha256:[0-9a-f]{64}$/;

/** Opens (creating if needed) the hash cache in `dir`, e.g. `.hyperprov/cache`. */
export async function openHashCache(dir: string, options: HashCacheOptions = {}): Promise<HashCache> {
    try {
        await mkdir(dir, { recursive: true });
        const path = join(dir, LOG_NAME);
        const entries = new Map<string, string>();
        let lines = 0;
        let text = '';
        try {
            text = await readFile(path, 'utf8');
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        for (const line of text.split('\n')) {
            if (line === '') continue;
            lines++;
            try {
                const { k, c } = JSON.parse(line) as { k: unknown; c: unknown };
                if (typeof k === 'string' && typeof c === 'string' && CHECKSUM.test(c)) entries.set(k, c);
            } catch {
                // a torn line from a crash mid-append: skip it
            }
        }
        if (lines > 1000 && lines > 2 * entries.size) {
            const tmp = `${path}.${process.pid}.tmp`;
            await writeFile(tmp, [...entries].map(([k, c]) => JSON.stringify({ k, c }) + '\n').join(''));
            await rename(tmp, path);
        }
        const handle = await open(path, 'a');
        return new Cache(entries, handle, options.racyWindowMs ?? 2000);
    } catch (error) {
        throw new TrackerError('INTERNAL', `cannot open the hash cache in ${dir}: ${(error as Error).message}; delete it to start afresh`, {
            cause: error,
        });
    }
}

class Cache implements HashCache {
    hits = 0;
    misses = 0;
    readonly #entries: Map<string, string>;
    readonly #handle: FileHandle;
    readonly #racyWindowMs: number;
    #appending: Promise<void> = Promise.resolve();
    #closed: Promise<void> | undefined;

    constructor(entries: Map<string, string>, handle: FileHandle, racyWindowMs: number) {
        this.#entries = entries;
        this.#handle = handle;
        this.#racyWindowMs = racyWindowMs;
    }

    get size(): number {
        return this.#entries.size;
    }

    get(identity: FileIdentity): string | undefined {
        const found = this.#entries.get(identityKey(identity));
        if (found === undefined) this.misses++;
        else this.hits++;
        return found;
    }

    async set(identity: FileIdentity, checksum: string, hashStartedMs: number): Promise<boolean> {
        if (!CHECKSUM.test(checksum)) throw new TrackerError('INVALID_ARGUMENT', `not a checksum: ${checksum}`);
        if (this.#closed !== undefined) return false;
        const mtimeMs = Number(identity.mtimeNs / 1_000_000n);
        if (mtimeMs > hashStartedMs - this.#racyWindowMs) return false;
        const key = identityKey(identity);
        if (this.#entries.get(key) === checksum) return true;
        this.#entries.set(key, checksum);
        const line = JSON.stringify({ k: key, c: checksum }) + '\n';
        this.#appending = this.#appending.then(() => this.#handle.appendFile(line)).catch(() => {
            // The cache is an optimisation: a failed append only costs a re-hash later.
        });
        await this.#appending;
        return true;
    }

    close(): Promise<void> {
        this.#closed ??= this.#appending.then(() => this.#handle.close()).catch(() => {});
        return this.#closed;
    }

    [Symbol.asyncDispose](): Promise<void> {
        return this.close();
    }
}
