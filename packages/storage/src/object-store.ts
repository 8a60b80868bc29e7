/**
 * The ObjectStore interface: where recorded bytes live. Only metadata goes on the ledger; a record's
 * `location` is the store's URL and its `pointer` the object name returned by `put`.
 *
 * Contract every store keeps (checked by the conformance suite in ./conformance.ts):
 * - `put` never exposes a partial object: the object becomes visible (to get/stat/exists/list) only
 *   after all bytes are durably stored (fsync / completed multipart upload) and, if a checksum was
 *   given, after it matched. On any failure or abort nothing is left visible.
 * - Pointers are opaque to callers; stores may content-address them.
 * - A store is done with a body chunk (written or copied) before it requests the next one: callers
 *   may reuse a chunk's memory once the next chunk is requested (the hashing pipeline streams
 *   through a few reused shared buffers). Never buffer chunk references ahead (e.g. Readable.from).
 * - A checksum promise settles only after the body has been read to its end (the hasher reads the
 *   same chunks), so a store must read the body before awaiting it, never the other way round.
 * - A checksum promise that rejects makes `put` reject with ABORTED (the reason as `cause`).
 * - After `close()`, every operation rejects with UNAVAILABLE.
 * - An object already stored under the content address of a put is checked before the put is
 *   skipped; a damaged one is replaced with the put's bytes (`repaired`).
 */
import type { Readable } from 'node:stream';

export interface PutOptions {
    /**
     * Expected `sha256:<hex>` of the body. Either known up front (then the store verifies it and may
     * skip the upload if it already holds those bytes), or a promise that resolves once a hasher
     * reading the same bytes has finished: the store must not make the object visible before it
     * resolves, and must discard the upload if it rejects. This is what lets hashing overlap upload.
     */
    checksum?: string | Promise<string>;
    /** Expected size in bytes; a body of another length fails with SIZE_MISMATCH. */
    size?: number;
    /** Aborts the upload; nothing is left visible. */
    signal?: AbortSignal;
    /** Called with the number of bytes stored so far, for progress bars. */
    onProgress?: (bytes: number) => void;
}

export interface PutResult {
    /** Object name inside this store, to put in the record's `pointer`. */
    pointer: string;
    size: number;
    /** `sha256:<hex>` of the stored bytes (the resolved expected checksum). */
    checksum: string;
    /** True when the store already held these bytes and nothing was uploaded. */
    skipped: boolean;
    /**
     * True when the store held a damaged copy under this content address (wrong size or bytes)
     * and replaced it, atomically, with these bytes. A copy is checked before it is trusted: its
     * size always, its bytes where reading them is cheap (local and SSHFS stores; S3 up to a size).
     */
    repaired?: boolean;
}

export interface ObjectInfo {
    pointer: string;
    size: number;
    /** Last modification time, when the store knows it. */
    modified?: Date;
}

export interface GetOptions {
    signal?: AbortSignal;
}

/** Options of {@link ObjectStore.adopt}. */
export interface AdoptOptions {
    /**
     * `sha256:<hex>` of the file's bytes, computed by a hasher that read this very file (or a
     * promise of it, settled once that hasher is done). The store does not read the bytes again
     * (saving that read is the point), so it must not be a guess: a rejected promise makes
     * `adopt` reject with ABORTED and leave nothing visible.
     */
    checksum: string | Promise<string>;
    /** The file's size; a file of another size fails with SIZE_MISMATCH. */
    size: number;
    signal?: AbortSignal;
}

export interface ObjectStore extends AsyncDisposable {
    /** URL of this store, recorded as `location`: `file:///…`, `s3://bucket/prefix`, `sshfs:///mnt/x`. */
    readonly location: string;
    /** Streams `body` into the store. See the contract above. */
    put(body: Readable | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<PutResult>;
    /**
     * Optional: makes an existing file the object, without copying its bytes, when the store can
     * (a local store on the same file system hard-links it). Same contract as `put`: nothing is
     * visible until the object is durable (file and directory fsynced) and its checksum settled;
     * an object already held under that checksum is checked and reused. The caller keeps its own
     * name for the file and must neither write to it afterwards nor have written to it since
     * hashing (they are one inode now); it may delete it. Resolves to undefined when this file
     * cannot be adopted (another file system, no hard links there): then `put` its bytes instead.
     */
    adopt?(file: string, options: AdoptOptions): Promise<PutResult | undefined>;
    /**
     * Optional, with `adopt`: false when `adopt` certainly cannot take `file` (it is on another
     * file system), found without linking anything, so a caller can skip hashing the file for it
     * and `put` the bytes in one read instead. True does not promise that `adopt` succeeds.
     */
    canAdopt?(file: string): Promise<boolean>;
    /** Streams an object's bytes. Rejects with NOT_FOUND if absent. */
    get(pointer: string, options?: GetOptions): Promise<Readable>;
    /** Rejects with NOT_FOUND if absent. */
    stat(pointer: string): Promise<ObjectInfo>;
    exists(pointer: string): Promise<boolean>;
    /** Removes an object; succeeds if it is already absent. */
    delete(pointer: string): Promise<void>;
    /** Lists visible objects whose pointer starts with `prefix`. */
    list(prefix?: string): AsyncIterable<ObjectInfo>;
    /** Waits for in-flight operations and releases resources. Idempotent. */
    close(): Promise<void>;
}

/**
 * Before a put trusts an object already stored under its checksum, a store checks its size, and
 * re-hashes its bytes only up to this size (16 MiB): reading a multi-GiB checkpoint again on
 * every re-record of unchanged bytes would double the cost of the common case.
 */
export const VERIFY_EXISTING_UP_TO = 16 * 2 ** 20;
