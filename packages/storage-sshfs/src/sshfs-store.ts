/**
 * The ObjectStore on an SSHFS mount. The byte layout and the atomic write protocol are the local
 * store's (`sha256/ab/cdef…`, temp file in `.tmp/` on the same mount, write, fsync — which sshfs
 * forwards to the server as fsync@openssh.com —, read-only, wait for the checksum, hard link into
 * place — hardlink@openssh.com —, which never replaces); this module composes it with what a network
 * mount adds: mounting on demand, and a mount check before every operation so that nothing is ever
 * written into the bare mountpoint directory of an unmounted store, nor left hanging on a dead one.
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import {
    InFlight,
    StoreError,
    createLocalStore,
    type GetOptions,
    type ObjectInfo,
    type ObjectStore,
    type PutOptions,
    type PutResult,
} from '@hyperprov/storage';
import { assertMounted, checkMount, DEFAULT_PROBE_TIMEOUT_MS, type MountStatus } from './check-mount.js';
import { mountSshfs, unmountSshfs } from './mount.js';

/** Options of {@link createSshfsStore}. */
export interface SshfsStoreOptions {
    /** The sshfs mountpoint, or a directory inside an sshfs mount, that holds the objects. */
    mountpoint: string;
    /** `user@host:/path` to mount (with `mount: true`); also named in error hints. */
    remote?: string;
    /** SSH port for mounting. */
    port?: number;
    /** Private key for mounting. */
    identityFile?: string;
    /**
     * Mount `remote` on `mountpoint` unless it is already mounted there from `remote` (then it is
     * reused and left mounted on close); a mount we made is unmounted on close. A stale mount there
     * is unmounted and mounted again. Default false: the mount is managed elsewhere.
     */
    mount?: boolean;
    /** Extra sshfs/ssh `-o` options for mounting, e.g. `{ StrictHostKeyChecking: 'accept-new' }`. */
    mountOptions?: Record<string, string | number | true>;
    /** How long the server may take to answer a mount check; default 5 s. */
    probeTimeoutMs?: number;
    /** Mode of stored objects (default 0440, as the local store). */
    fileMode?: number;
    /** Mode of directories the store creates (default 0750, as the local store). */
    dirMode?: number;
}

/** An ObjectStore on an SSHFS mount, with access to its mount state. */
export interface SshfsStore extends ObjectStore {
    /** Absolute path of the store directory. */
    readonly mountpoint: string;
    /** Whether the store's mount is live, without throwing. */
    checkMount(): Promise<MountStatus>;
}

/** `sshfs:///abs/path`, encoded like store-url.ts in @hyperprov/storage formats it. */
export function sshfsLocation(mountpoint: string): string {
    return `sshfs://${mountpoint.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Opens a store on an SSHFS mount (mounting it first with `mount: true`). Its `location` is
 * `sshfs:///<mountpoint>`. Every operation first checks the mount and fails with StoreError
 * UNAVAILABLE, saying how to mount it, when the directory is not on a live sshfs mount.
 */
export async function createSshfsStore(options: SshfsStoreOptions): Promise<SshfsStore> {
    if (typeof options?.mountpoint !== 'string' || options.mountpoint === '') {
        throw new StoreError('INVALID_ARGUMENT', 'createSshfsStore needs { mountpoint: <directory on an sshfs mount> }');
    }
    const mountpoint = path.resolve(options.mountpoint);
    const probe = { timeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS };
    let ownsMount = false;
    if (options.mount) {
        if (options.remote === undefined) {
            throw new StoreError('INVALID_ARGUMENT', 'createSshfsStore with mount: true needs remote: "user@host:/path"');
        }
        const status = await checkMount(mountpoint, probe);
        const here = status.mountpoint === mountpoint;
        if (here && status.state === 'mounted' && status.source !== options.remote) {
            throw new StoreError(
                'INVALID_ARGUMENT',
                `${mountpoint} is already mounted from ${status.source}, not ${options.remote}; ` +
                    `unmount it (fusermount -u ${mountpoint}) or use that remote.`,
            );
        }
        // A dead sshfs (killed, or its server gone for good) leaves a stale mount: replace it.
        if (here && status.state === 'stale') await unmountSshfs(mountpoint);
        // Mount unless this very directory is already a live mount (an enclosing one is not ours).
        if (!(here && status.state === 'mounted')) {
            await mountSshfs({
                remote: options.remote,
                mountpoint,
                ...(options.port !== undefined && { port: options.port }),
                ...(options.identityFile !== undefined && { identityFile: options.identityFile }),
                ...(options.mountOptions !== undefined && { options: options.mountOptions }),
            });
            ownsMount = true;
        }
    }
    try {
        await assertMounted(mountpoint, { ...probe, ...(options.remote !== undefined && { remote: options.remote }) });
    } catch (error) {
        if (ownsMount) await unmountSshfs(mountpoint).catch(() => {});
        throw error;
    }
    const modes = { ...(options.fileMode !== undefined && { fileMode: options.fileMode }), ...(options.dirMode !== undefined && { dirMode: options.dirMode }) };
    return new MountedStore(mountpoint, options.remote, probe.timeoutMs, ownsMount, modes);
}

/** Errors that say something about the request, not the mount; they pass through unchanged. */
const REQUEST_ERRORS = new Set(['CHECKSUM_MISMATCH', 'SIZE_MISMATCH', 'INVALID_ARGUMENT', 'ABORTED']);

class MountedStore implements SshfsStore {
    readonly location: string;
    readonly mountpoint: string;
    readonly #remote: string | undefined;
    readonly #timeoutMs: number;
    readonly #inner: ObjectStore;
    #ownsMount: boolean;
    #closing: Promise<void> | undefined;
    /**
     * Our own operations, mount check included: close() must wait for a put that is still checking
     * the mount, which the inner store does not know about yet.
     */
    readonly #inFlight = new InFlight(() => (this.#closing !== undefined ? this.#closedError() : undefined));

    constructor(mountpoint: string, remote: string | undefined, timeoutMs: number, ownsMount: boolean, modes: { fileMode?: number; dirMode?: number }) {
        this.mountpoint = mountpoint;
        this.location = sshfsLocation(mountpoint);
        this.#remote = remote;
        this.#timeoutMs = timeoutMs;
        this.#ownsMount = ownsMount;
        this.#inner = createLocalStore({ root: mountpoint, ...modes });
    }

    checkMount(): Promise<MountStatus> {
        return checkMount(this.mountpoint, { timeoutMs: this.#timeoutMs });
    }

    put(body: Readable | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<PutResult> {
        return this.#inFlight.track(
            async () => {
                try {
                    await this.#assertMounted();
                } catch (error) {
                    discard(body);
                    throw error;
                }
                const result = await this.#guard(() => this.#inner.put(body, options));
                // The mount could have vanished between the check and the publish; then the bytes may
                // sit in the bare directory, and the caller must not record them.
                await this.#assertMounted();
                return result;
            },
            () => discard(body),
        );
    }

    get(pointer: string, options?: GetOptions): Promise<Readable> {
        return this.#checked(() => this.#inner.get(pointer, options));
    }

    stat(pointer: string): Promise<ObjectInfo> {
        return this.#checked(() => this.#inner.stat(pointer));
    }

    exists(pointer: string): Promise<boolean> {
        return this.#checked(() => this.#inner.exists(pointer));
    }

    delete(pointer: string): Promise<void> {
        return this.#checked(() => this.#inner.delete(pointer));
    }

    async *list(prefix?: string): AsyncIterable<ObjectInfo> {
        if (this.#closing !== undefined) throw this.#closedError();
        await this.#assertMounted();
        try {
            yield* this.#inner.list(prefix);
        } catch (error) {
            throw await this.#explain(error);
        }
    }

    close(): Promise<void> {
        this.#closing ??= (async () => {
            await this.#inFlight.settled();
            await this.#inner.close();
            if (this.#ownsMount) {
                this.#ownsMount = false;
                await unmountSshfs(this.mountpoint);
            }
        })();
        return this.#closing;
    }

    [Symbol.asyncDispose](): Promise<void> {
        return this.close();
    }


    /** A tracked operation behind a mount check, with mount-aware errors. */
    #checked<T>(operation: () => Promise<T>): Promise<T> {
        return this.#inFlight.track(async () => {
            await this.#assertMounted();
            return this.#guard(operation);
        });
    }

    #closedError(): StoreError {
        return new StoreError('UNAVAILABLE', `the store ${this.location} is closed; open a new one`);
    }

    #assertMounted(): Promise<void> {
        return assertMounted(this.mountpoint, {
            timeoutMs: this.#timeoutMs,
            ...(this.#remote !== undefined && { remote: this.#remote }),
        });
    }

    async #guard<T>(operation: () => Promise<T>): Promise<T> {
        try {
            return await operation();
        } catch (error) {
            throw await this.#explain(error);
        }
    }

    /** An operation failed: if the mount went away meanwhile, say that instead of the raw errno. */
    async #explain(error: unknown): Promise<unknown> {
        if (error instanceof StoreError && REQUEST_ERRORS.has(error.code)) return error;
        try {
            await this.#assertMounted();
        } catch (mountError) {
            if (mountError instanceof StoreError) {
                return new StoreError('UNAVAILABLE', mountError.message, { cause: error });
            }
        }
        return error;
    }
}

/** Releases a body that will not be read, so its file descriptor or producer is not left waiting. */
function discard(body: Readable | AsyncIterable<Uint8Array>): void {
    if (body instanceof Readable) {
        body.destroy();
        return;
    }
    body[Symbol.asyncIterator]().return?.()?.catch(() => {});
}
