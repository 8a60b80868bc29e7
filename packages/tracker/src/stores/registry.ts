/**
 * The store registry: store URL -> ObjectStore. `file://` stores are built in; `s3://` and
 * `sshfs://` load their packages (@hyperprov/storage-s3, @hyperprov/storage-sshfs) on first use,
 * so commands that never touch them do not pay for the AWS SDK, and a build without them still
 * works for local stores.
 */
import { pathWithin } from '../config/project-dir.js';
import { createLocalStore, formatStoreUrl, parseStoreUrl, type ObjectStore, type StoreUrl } from '@hyperprov/storage';
import { TrackerError } from '@hyperprov/errors';
import { fromStoreError } from './store-errors.js';

/** Opens the store a URL names. Throws INVALID_ARGUMENT for a bad URL, STORE_UNAVAILABLE when its package is missing. */
export type StoreOpener = (url: StoreUrl) => Promise<ObjectStore>;

/** Permissions of what local and SSHFS stores create (see stores/project-store.ts). */
export interface StoreModes {
    fileMode: number;
    dirMode: number;
}

/** What an opener knows besides the URL. */
interface OpenContext {
    projectDir?: string;
    modes?: StoreModes;
}

/** Opens stores by URL and keeps one instance per URL until closed. */
export interface StoreRegistry extends AsyncDisposable {
    /**
     * The store for `url` (a record's `location` or the configured store URL). A store is also
     * registered under its own `location`, so records written through it find it again.
     */
    open(url: string): Promise<ObjectStore>;
    /** Closes every store opened through this registry. Idempotent. */
    close(): Promise<void>;
}

/** Schemes this build can open; others are reported as unsupported, not as errors of the store. */
export const SUPPORTED_STORE_SCHEMES = ['file', 's3', 'sshfs'] as const;

type UrlOf<K extends StoreUrl['kind']> = Extract<StoreUrl, { kind: K }>;

/**
 * One opener per store scheme. `s3://` and `sshfs://` are optional peer dependencies, imported
 * with literal specifiers (so their types are checked at build time) the first time such a store
 * is opened; a project on local stores never loads the AWS SDK.
 */
const OPENERS: { readonly [K in StoreUrl['kind']]: (url: UrlOf<K>, context: OpenContext) => Promise<ObjectStore> } = {
    file: async (url, { projectDir, modes }) => {
        const inProject = projectDir !== undefined && isInside(url.root, projectDir);
        return createLocalStore({
            root: url.root,
            // A relative URL keeps reporting itself relative, so records written through it stay so.
            location: formatStoreUrl(url),
            ...modes,
            // The project's own store is the project's to restrict; a store shared elsewhere is not.
            narrowRoot: inProject && modes !== undefined,
        });
    },
    s3: async (url) => {
        const { createS3Store } = await loadStorePackage('@hyperprov/storage-s3', 's3', () => import('@hyperprov/storage-s3'));
        return createS3Store({
            bucket: url.bucket,
            prefix: url.prefix,
            ...(url.endpoint !== undefined && { endpoint: url.endpoint }),
            ...(url.region !== undefined && { region: url.region }),
            ...(url.forcePathStyle !== undefined && { forcePathStyle: url.forcePathStyle }),
        });
    },
    sshfs: async (url, { modes }) => {
        const { createSshfsStore } = await loadStorePackage('@hyperprov/storage-sshfs', 'sshfs', () => import('@hyperprov/storage-sshfs'));
        return createSshfsStore({
            mountpoint: url.mountpoint,
            ...modes,
            ...(url.remote !== undefined && { remote: url.remote, mount: true }),
        });
    },
};

/** The opener for a parsed URL (one place where the union is narrowed to its scheme's opener). */
function openerFor(url: StoreUrl, context: OpenContext): () => Promise<ObjectStore> {
    return () => (OPENERS[url.kind] as (url: StoreUrl, context: OpenContext) => Promise<ObjectStore>)(url, context);
}

/**
 * Parses a store URL, translating a bad one into INVALID_ARGUMENT. Bare paths are resolved
 * against `cwd`, relative `file:<path>` URLs against `projectDir`.
 */
export function parseStoreLocation(url: string, cwd?: string, projectDir?: string): StoreUrl {
    try {
        return parseStoreUrl(url, cwd, projectDir);
    } catch (error) {
        throw fromStoreError(error, 'store URL');
    }
}

/**
 * Opens one store without caching it; the caller closes it. Relative `file:` URLs need
 * `projectDir`; `modes` sets what local and SSHFS stores create.
 */
export async function openStore(url: string, projectDir?: string, modes?: StoreModes): Promise<ObjectStore> {
    const parsed = parseStoreLocation(url, undefined, projectDir);
    try {
        return await openerFor(parsed, { ...(projectDir !== undefined && { projectDir }), ...(modes !== undefined && { modes }) })();
    } catch (error) {
        throw fromStoreError(error, `store ${url}`);
    }
}

/** Options of {@link createStoreRegistry}. */
export interface StoreRegistryOptions {
    /** What relative `file:<path>` locations are relative to: the project directory. */
    projectDir?: string;
    /** URLs to open as another URL: older records' absolute URLs of the project's own store. */
    aliases?: ReadonlyMap<string, string>;
    /** Permissions of objects and folders that local and SSHFS stores create. */
    modes?: StoreModes;
}

/** A registry that opens each URL once. */
export function createStoreRegistry(options: StoreRegistryOptions = {}): StoreRegistry {
    const stores = new Map<string, Promise<ObjectStore>>();
    let closed = false;
    const close = async (): Promise<void> => {
        closed = true;
        const pending = [...stores.values()];
        stores.clear();
        const results = await Promise.allSettled(pending.map(async (store) => (await store).close()));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof TrackerError));
        if (failed) throw fromStoreError(failed.reason, 'closing a store');
    };
    return {
        async open(requested: string): Promise<ObjectStore> {
            if (closed) throw new TrackerError('INTERNAL', 'the store registry is closed');
            const url = options.aliases?.get(requested) ?? requested;
            let store = stores.get(url);
            if (!store) {
                const opening = openStore(url, options.projectDir, options.modes);
                store = opening;
                stores.set(url, opening);
                // A failed open is not cached, so a later call can retry (e.g. after mounting).
                opening.then(
                    (opened) => {
                        // Records carry the store's own `location`, which may leave out options of
                        // the configured URL (an S3 endpoint, an sshfs remote): reading a record
                        // then reuses the store opened from the full URL.
                        if (!stores.has(opened.location)) stores.set(opened.location, opening);
                    },
                    () => stores.delete(url),
                );
            }
            return store;
        },
        close,
        [Symbol.asyncDispose]: close,
    };
}

function isInside(dir: string, parent: string): boolean {
    const relative = pathWithin(parent, dir);
    return relative !== undefined && relative !== '';
}

async function loadStorePackage<T>(name: string, scheme: string, load: () => Promise<T>): Promise<T> {
    try {
        return await load();
    } catch (error) {
        throw new TrackerError(
            'STORE_UNAVAILABLE',
            `${scheme}:// stores need ${name}, which is not installed or not built; run \`npm install ${name}\` (in a HyperProv checkout: \`npm run build\`)`,
            { cause: error },
        );
    }
}
