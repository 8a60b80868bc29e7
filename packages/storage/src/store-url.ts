/**
 * Store URLs, as recorded in a record's `location` and given to `init --store` / `record --store`:
 * `file:///abs/dir`, `file:rel/dir` (relative to a base directory, the project: a project that
 * is renamed or moved takes its store along), `s3://bucket/prefix?endpoint=…&region=…&forcePathStyle=true`,
 * `sshfs:///mnt/point?remote=user@host:/path`. This module only parses and formats them; the
 * tracker's store registry maps a description to a store.
 */

import { isAbsolute, posix, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StoreError } from './errors.js';

/** A local directory store. */
export interface FileStoreUrl {
    kind: 'file';
    /** Absolute directory. */
    root: string;
    /**
     * For a relative URL `file:<path>`: that path (POSIX separators, normalised), relative to the
     * base directory it was resolved against; `root` is the result. Formatting keeps it relative.
     */
    relative?: string;
}

/** An S3 (or S3-compatible) store. */
export interface S3StoreUrl {
    kind: 's3';
    bucket: string;
    /** Key prefix without leading/trailing slashes; '' for the bucket root. */
    prefix: string;
    /** Endpoint URL for S3-compatible servers, e.g. `http://127.0.0.1:9000`. */
    endpoint?: string;
    region?: string;
    /** Path-style addressing (needed by most S3-compatible servers). */
    forcePathStyle?: boolean;
}

/** A store on an SSHFS mount. */
export interface SshfsStoreUrl {
    kind: 'sshfs';
    /** Absolute mountpoint. */
    mountpoint: string;
    /** `user@host:/path` to mount there, if the tracker should mount it. */
    remote?: string;
}

/** A parsed store URL. `options` holds every query parameter, including ones not typed above. */
export type StoreUrl = (FileStoreUrl | S3StoreUrl | SshfsStoreUrl) & { options: Readonly<Record<string, string>> };

const S3_KEYS = new Set(['endpoint', 'region', 'forcePathStyle']);
const SSHFS_KEYS = new Set(['remote']);

function invalid(url: string, why: string): StoreError {
    return new StoreError(
        'INVALID_ARGUMENT',
        `store URL ${JSON.stringify(url)} ${why}; use file:///abs/dir, s3://bucket/prefix or sshfs:///mountpoint`,
    );
}

function parseBoolean(url: string, key: string, value: string): boolean {
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw invalid(url, `has ${key}=${value}, expected true or false`);
}

/** Matches a relative file URL `file:<path>` (no `//`, no leading `/`). */
const RELATIVE_FILE_URL = /^file:(?!\/)/i;

/**
 * Parses a store URL. A bare path (no scheme) means a local directory, resolved against `cwd`; a
 * relative file URL `file:<path>` is resolved against `base` (the project directory), and is an
 * error without one. Throws StoreError INVALID_ARGUMENT naming what is wrong.
 */
export function parseStoreUrl(url: string, cwd: string = process.cwd(), base?: string): StoreUrl {
    if (typeof url !== 'string' || url.trim() === '') throw invalid(String(url), 'is empty');
    if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) {
        return { kind: 'file', root: resolve(cwd, url), options: {} };
    }
    if (RELATIVE_FILE_URL.test(url)) {
        // WHATWG URL parsing would read `file:a/b` as `file:///a/b`: relative ones are parsed here.
        const text = url.slice('file:'.length);
        if (text === '') throw invalid(url, 'names no directory');
        if (/[?#]/.test(text)) throw invalid(url, 'has query parameters, which file: stores do not take');
        let relative: string;
        try {
            relative = posix.normalize(text.split('/').map((segment) => decodeURIComponent(segment)).join('/')).replace(/\/+$/, '');
        } catch (cause) {
            throw new StoreError('INVALID_ARGUMENT', `store URL ${JSON.stringify(url)} is not a valid URL`, { cause });
        }
        if (base === undefined) {
            throw invalid(url, 'is relative to a project directory, which is not known here; give an absolute file:/// URL');
        }
        return { kind: 'file', root: resolve(base, relative), relative, options: {} };
    }
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch (cause) {
        throw new StoreError('INVALID_ARGUMENT', `store URL ${JSON.stringify(url)} is not a valid URL`, { cause });
    }
    const options: Record<string, string> = {};
    for (const [key, value] of parsed.searchParams) options[key] = value;
    if (parsed.username !== '' || parsed.password !== '') {
        throw invalid(url, 'contains credentials; put them in the environment or config, never in a recorded location');
    }

    switch (parsed.protocol) {
        case 'file:': {
            if (parsed.host !== '' && parsed.host !== 'localhost') throw invalid(url, 'names a remote host');
            if (parsed.search !== '') throw invalid(url, 'has query parameters, which file: stores do not take');
            return { kind: 'file', root: fileURLToPath(new URL(parsed.pathname, 'file:///')), options };
        }
        case 's3:': {
            const bucket = parsed.hostname;
            if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw invalid(url, 'has no valid bucket name');
            for (const key of Object.keys(options)) {
                if (!S3_KEYS.has(key)) throw invalid(url, `has unknown parameter ${key} (known: ${[...S3_KEYS].join(', ')})`);
            }
            const prefix = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '');
            const result: StoreUrl = { kind: 's3', bucket, prefix, options };
            if (options.endpoint !== undefined) {
                try {
                    new URL(options.endpoint);
                } catch {
                    throw invalid(url, `has endpoint ${options.endpoint}, which is not a URL`);
                }
                result.endpoint = options.endpoint;
            }
            if (options.region !== undefined) result.region = options.region;
            if (options.forcePathStyle !== undefined) {
                result.forcePathStyle = parseBoolean(url, 'forcePathStyle', options.forcePathStyle);
            }
            return result;
        }
        case 'sshfs:': {
            if (parsed.host !== '') {
                throw invalid(url, 'has a host; write the mountpoint as sshfs:///mnt/x and the remote as ?remote=user@host:/path');
            }
            for (const key of Object.keys(options)) {
                if (!SSHFS_KEYS.has(key)) throw invalid(url, `has unknown parameter ${key} (known: remote)`);
            }
            const mountpoint = decodeURIComponent(parsed.pathname).replace(/\/+$/, '') || '/';
            if (!isAbsolute(mountpoint) || mountpoint === '/') throw invalid(url, 'has no mountpoint');
            const result: StoreUrl = { kind: 'sshfs', mountpoint, options };
            if (options.remote !== undefined) result.remote = options.remote;
            return result;
        }
        default:
            throw invalid(url, `has unsupported scheme ${parsed.protocol}`);
    }
}

/** Formats a description as its canonical URL (the inverse of {@link parseStoreUrl}). */
export function formatStoreUrl(store: FileStoreUrl | S3StoreUrl | SshfsStoreUrl): string {
    switch (store.kind) {
        case 'file':
            if (store.relative !== undefined) return `file:${store.relative.split('/').map(encodeURIComponent).join('/')}`;
            return pathToFileURL(store.root).href;
        case 's3': {
            const path = store.prefix === '' ? '' : '/' + store.prefix.split('/').map(encodeURIComponent).join('/');
            const query = new URLSearchParams();
            if (store.endpoint !== undefined) query.set('endpoint', store.endpoint);
            if (store.region !== undefined) query.set('region', store.region);
            if (store.forcePathStyle !== undefined) query.set('forcePathStyle', String(store.forcePathStyle));
            const search = query.toString();
            return `s3://${store.bucket}${path}${search === '' ? '' : '?' + search}`;
        }
        case 'sshfs': {
            const path = store.mountpoint.split('/').map(encodeURIComponent).join('/');
            const search = store.remote === undefined ? '' : '?' + new URLSearchParams({ remote: store.remote }).toString();
            return `sshfs://${path}${search}`;
        }
    }
}
