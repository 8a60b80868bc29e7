/**
 * The tracker SDK: one object per project that records files and metadata, answers provenance
 * queries, verifies stored bytes and the ledger, and fetches recorded bytes. The CLI, the HTTP
 * server, the watcher and the epoch hook all go through it.
 *
 * ```ts
 * await using tracker = await openTracker({ dir: '.' });
 * const { record } = await tracker.record('model.pt', { key: 'models/resnet', dependencies: [dataId] });
 * ```
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { HashCheck, JsonValue, Page, ProvenanceRecord, RecordType } from '@hyperprov/chaincode/protocol';
import { formatStoreUrl } from '@hyperprov/storage';
import { checkRecordInput, createProvenanceClient, type PageOptions, type ProvenanceClient } from './client/provenance-client.js';
import { createReleasableLedger, type ReleasableLedger } from './client/releasable-ledger.js';
import {
    defaultConfig,
    findProjectDir,
    HYPERPROV_DIRNAME,
    projectPaths,
    readConfig,
    resolveConfigPath,
    writeConfig,
    type TrackerConfig,
} from './config/index.js';
import { TrackerError, isTrackerError } from '@hyperprov/errors';
import { createLocalIdentity, loadLocalIdentity, saveLocalIdentity, type LocalIdentity } from '@hyperprov/ledger';
import type { LedgerVerification } from '@hyperprov/ledger-embedded';
import type { Ledger, LedgerInfo } from '@hyperprov/ledger';
import type { HashCache, HashPool } from './hashing/index.js';
import { getLineage, type GetLineageOptions, type Lineage } from './lineage/lineage.js';
import type { DatasetVerification } from './manifests/index.js';
import { fetchRecordBytes, type FetchOptions, type FetchResult } from './pipeline/record-fetch.js';
import { verifyRecords, type ObjectVerification } from './pipeline/record-verify.js';
import { putRecord, recordFile, resolveDependencies, type Ingest, type PutInput, type RecordFileOptions, type RecordResult } from './pipeline/record.js';
import { createStoreRegistry, parseStoreLocation, type StoreRegistry } from './stores/registry.js';
import { openLedgerBackend, type VerifiableLedger } from './project/ledger-backends.js';

/** Options of {@link openTracker}. */
export interface OpenTrackerOptions {
    /** The project directory or any directory inside it; default the working directory. */
    dir?: string;
    /** Hash worker threads for `record` (default: available cores; the CLI uses 1 for its one file). */
    hashThreads?: number;
    /**
     * Let go of the embedded ledger while bytes move (record, fetch, dataset uploads), so other
     * processes can use it meanwhile; it is reopened for the transaction. Costs a reopen per
     * transfer, so long-running recorders leave it off (default); the CLI turns it on.
     */
    shareLedger?: boolean;
}

/** Options of {@link initTracker}. */
export interface InitTrackerOptions {
    /** Directory to initialise (created if missing); default the working directory. */
    dir?: string;
    /** Store URL for recorded bytes; default a local store in `.hyperprov/objects`. A bare path means a local directory. */
    store?: string;
    /** `fsync` (default) or `none` (throwaway runs only). */
    durability?: 'fsync' | 'none';
    /** MSP id of the new identity; default `LocalMSP`. */
    mspId?: string;
}

/** What {@link initTracker} created. */
export interface InitResult {
    projectDir: string;
    hyperprovDir: string;
    config: TrackerConfig;
    identity: { mspId: string; certificate: string };
}

/** Selection of what {@link Tracker.verify} checks. */
export interface VerifyOptions {
    /** A key (its latest version) or a record id whose bytes to check. */
    target?: string;
    /** Check the bytes of every version of every key. */
    all?: boolean;
    /** Check the ledger itself (chain, signatures, state). */
    ledger?: boolean;
    /** Records hashed in parallel; default 2. */
    concurrency?: number;
    signal?: AbortSignal;
}

/** A ledger check, as reported by the backend (height as a decimal string, for JSON). */
export interface LedgerCheck {
    ok: boolean;
    height: string;
    problems: LedgerVerification['problems'];
}

/** Result of {@link Tracker.verify}: `ok` only if every selected check passed. */
export interface VerifyReport {
    ok: boolean;
    objects?: ObjectVerification;
    ledger?: LedgerCheck;
}

/** Options of {@link Tracker.recordDataset}. */
export interface RecordDatasetOptions {
    /** Item name, e.g. `datasets/idenprof/train`. */
    key: string;
    /** Also store every file (default: only the manifest). */
    upload?: boolean;
    /** Record ids (or keys) the dataset was made from. */
    dependencies?: readonly string[];
    meta?: { [key: string]: JsonValue };
    type?: RecordType;
    /** Globs (relative to `dir`) of files to take; default every file. */
    include?: readonly string[];
    /** Globs to leave out. */
    exclude?: readonly string[];
    signal?: AbortSignal;
}

/** Outcome of {@link Tracker.recordDataset}. */
export interface RecordDatasetResult {
    /** `unchanged`: the directory matches the latest manifest of the key, nothing was recorded. */
    status: 'changed' | 'unchanged';
    /** The new record, or the latest one when unchanged. */
    record: ProvenanceRecord;
    count: number;
    totalSize: number;
    /** Changes since the previous version, when it could be read. */
    changes?: { added: number; removed: number; modified: number; unchanged: number };
    /** With `upload`: files sent to the store and files it already held. */
    upload?: { transferred: number; skipped: number; bytes: number };
    /** Special files (sockets, devices…) left out. */
    skipped: string[];
}

/** Result of {@link Tracker.check}: which records hold exactly this file's bytes. */
export interface FileCheck {
    file: string;
    checksum: string;
    size: number;
    /** Every record of these bytes, under any key. */
    records: ProvenanceRecord[];
    /** With a key: whether the key's latest version is these bytes. */
    key?: HashCheck;
}

/** Summary of a project, for `hyperprov status`. */
export interface TrackerStatus {
    projectDir: string;
    store: string;
    ledger: { backend: LedgerInfo['backend']; height: string };
}

/** A project's tracker. Create with {@link openTracker}; close (or `await using`) when done. */
export interface Tracker extends AsyncDisposable {
    readonly projectDir: string;
    readonly config: TrackerConfig;
    /** Typed access to every contract query. */
    readonly client: ProvenanceClient;
    /** Stores the file's bytes, then records them. */
    record(file: string, options: RecordFileOptions): Promise<RecordResult>;
    /** Records metadata of bytes stored elsewhere; without `size`, it is read from the store at `location`. */
    put(input: PutInput, options?: { signal?: AbortSignal }): Promise<RecordResult>;
    /** Latest record of a key. */
    get(key: string): Promise<ProvenanceRecord>;
    /** The record with this id. */
    show(id: string): Promise<ProvenanceRecord>;
    /** A record by id, or else the latest record of a key. */
    resolve(keyOrId: string): Promise<ProvenanceRecord>;
    /** One page of a key's versions, newest first. */
    history(key: string, options?: PageOptions): Promise<Page<ProvenanceRecord>>;
    /** One page of the latest records of keys in [start, end). */
    range(start: string, end: string, options?: PageOptions): Promise<Page<ProvenanceRecord>>;
    /** Lineage DAG up (dependencies) or down (dependents). */
    lineage(id: string, options?: GetLineageOptions): Promise<Lineage>;
    /** Re-hashes stored bytes against records and/or checks the ledger. */
    verify(options?: VerifyOptions): Promise<VerifyReport>;
    /**
     * Records a directory as a dataset: a manifest (sorted path, size, SHA-256) stored and recorded;
     * with `upload`, the files too. Records nothing when the directory matches the key's latest manifest.
     */
    recordDataset(dir: string, options: RecordDatasetOptions): Promise<RecordDatasetResult>;
    /** Compares a directory with a recorded dataset manifest (re-reading every byte). */
    verifyDataset(keyOrId: string, dir: string, options?: { signal?: AbortSignal }): Promise<DatasetVerification>;
    /**
     * Hashes a local file (re-reading every byte) and finds the records of those bytes: "is this
     * the file that was recorded?". With `key`, also whether it is that key's latest version.
     */
    check(file: string, options?: { key?: string; signal?: AbortSignal }): Promise<FileCheck>;
    /** Writes a record's bytes to `out`, only if they match the record. */
    fetch(keyOrId: string, out: string, options?: FetchOptions): Promise<FetchResult>;
    status(): Promise<TrackerStatus>;
    close(): Promise<void>;
}

/**
 * Creates `.hyperprov/` in `dir`: config, a new local identity, the embedded ledger. Built in a
 * temporary folder and renamed into place at the end, so a failed init leaves nothing behind and
 * never touches an existing project.
 */
export async function initTracker(options: InitTrackerOptions = {}): Promise<InitResult> {
    const { projectDir, hyperprovDir } = projectPaths(options.dir ?? process.cwd());
    if (await exists(hyperprovDir)) {
        throw new TrackerError('ALREADY_EXISTS', `${hyperprovDir} already exists: this project is initialised (remove that folder to start over)`);
    }
    const storeUrl = options.store === undefined
        ? formatStoreUrl({ kind: 'file', root: path.join(hyperprovDir, 'objects') })
        : canonicalStoreUrl(options.store);
    const config = defaultConfig(storeUrl);
    if (options.durability && config.ledger.backend === 'embedded') config.ledger.durability = options.durability;

    await mkdir(projectDir, { recursive: true });
    const staging = path.join(projectDir, `${HYPERPROV_DIRNAME}.init-${randomBytes(6).toString('hex')}`);
    try {
        await mkdir(staging, { mode: 0o755 });
        const identity = await createLocalIdentity(options.mspId ? { mspId: options.mspId } : {});
        await saveLocalIdentity(resolveConfigPath(staging, config.identity.dir), identity);
        // Creating the ledger now proves it works here and writes its first block.
        const ledger = await openLedger(config, staging, identity);
        await ledger.close();
        await writeConfig(staging, config);
        try {
            await rename(staging, hyperprovDir);
        } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === 'EEXIST' || code === 'ENOTEMPTY') {
                throw new TrackerError('ALREADY_EXISTS', `${hyperprovDir} appeared while initialising; another init ran at the same time`, { cause: error });
            }
            throw error;
        }
        return { projectDir, hyperprovDir, config, identity: { mspId: identity.mspId, certificate: identity.certificatePem } };
    } catch (error) {
        await rm(staging, { recursive: true, force: true });
        if (error instanceof TrackerError) throw error;
        throw new TrackerError('INTERNAL', `init failed in ${projectDir}: ${(error as Error).message}`, { cause: error });
    }
}

/** Opens the project containing `dir` (walking up to the nearest `.hyperprov/`). */
export async function openTracker(options: OpenTrackerOptions = {}): Promise<Tracker> {
    const { projectDir, hyperprovDir } = await findProjectDir(options.dir ?? process.cwd());
    const config = await readConfig(hyperprovDir);
    const identity = await loadLocalIdentity(resolveConfigPath(hyperprovDir, config.identity.dir));
    const ledger = createReleasableLedger(() => openLedger(config, hyperprovDir, identity));
    // Open now, so a locked or damaged ledger is reported before any work starts.
    await ledger.use(async () => undefined);
    return new ProjectTracker(projectDir, hyperprovDir, config, ledger, options);
}

/** Opens the configured ledger backend (see project/ledger-backends.ts). */
function openLedger(config: TrackerConfig, hyperprovDir: string, identity: LocalIdentity): Promise<VerifiableLedger> {
    return openLedgerBackend({ config: config.ledger, hyperprovDir, identity });
}

class ProjectTracker implements Tracker {
    readonly client: ProvenanceClient;
    readonly #stores: StoreRegistry = createStoreRegistry();
    #hashResources: Promise<HashResources> | undefined;
    #closing: Promise<void> | undefined;

    constructor(
        readonly projectDir: string,
        private readonly hyperprovDir: string,
        readonly config: TrackerConfig,
        private readonly ledger: ReleasableLedger<VerifiableLedger>,
        private readonly options: OpenTrackerOptions,
    ) {
        this.client = createProvenanceClient(ledger);
    }

    async record(file: string, options: RecordFileOptions): Promise<RecordResult> {
        // `options.store` sends this one file to another store than the configured one.
        const storeUrl = options.store ?? this.config.store;
        const store = await this.#stores.open(storeUrl);
        const ingest: Ingest = async (source, ingestOptions) => {
            // Checks are done; while the bytes move, other processes may use the ledger.
            await this.#releaseLedger();
            return (await this.#ingester(storeUrl)).ingest(source, ingestOptions);
        };
        return recordFile(this.client, ingest, store.location, file, options);
    }

    async put(input: PutInput, options: { signal?: AbortSignal } = {}): Promise<RecordResult> {
        if (input.size !== undefined) return putRecord(this.client, { ...input, size: input.size }, options.signal);
        // Check everything else first, so a bad key is reported before the store is asked.
        checkRecordInput({ ...input, size: 0 });
        return putRecord(this.client, { ...input, size: await this.#sizeOf(input.location, input.pointer) }, options.signal);
    }

    get(key: string): Promise<ProvenanceRecord> {
        return this.client.get(key);
    }

    show(id: string): Promise<ProvenanceRecord> {
        return this.client.getFromId(id);
    }

    async resolve(keyOrId: string): Promise<ProvenanceRecord> {
        try {
            return await this.client.getFromId(keyOrId);
        } catch (error) {
            if (!isTrackerError(error, 'NOT_FOUND') && !isTrackerError(error, 'INVALID_ARGUMENT')) throw error;
        }
        try {
            return await this.client.get(keyOrId);
        } catch (error) {
            if (isTrackerError(error, 'NOT_FOUND') || isTrackerError(error, 'INVALID_ARGUMENT')) {
                throw new TrackerError('NOT_FOUND', `${JSON.stringify(keyOrId)} is neither a record id nor a recorded key`, { cause: error });
            }
            throw error;
        }
    }

    history(key: string, options: PageOptions = {}): Promise<Page<ProvenanceRecord>> {
        return this.client.history(key, options);
    }

    range(start: string, end: string, options: PageOptions = {}): Promise<Page<ProvenanceRecord>> {
        return this.client.range(start, end, options);
    }

    lineage(id: string, options: GetLineageOptions = {}): Promise<Lineage> {
        return getLineage(this.client, id, options);
    }

    async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
        const everything = options.target === undefined && !options.all && !options.ledger;
        const report: VerifyReport = { ok: true };
        if (options.target !== undefined || options.all || everything) {
            const records = options.target !== undefined ? [await this.resolve(options.target)] : this.#allVersions();
            await this.#openConfiguredStore();
            report.objects = await verifyRecords(records, this.#stores, {
                ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
                ...(options.signal && { signal: options.signal }),
            });
            report.ok &&= report.objects.ok;
        }
        if (options.ledger || everything) {
            report.ledger = await this.#verifyLedger();
            report.ok &&= report.ledger.ok;
        }
        return report;
    }

    async recordDataset(dir: string, options: RecordDatasetOptions): Promise<RecordDatasetResult> {
        const { signal } = options;
        const [store, hashing, manifests, { ingestFile }] = await Promise.all([
            this.#stores.open(this.config.store),
            this.#hashing(),
            import('./manifests/index.js'),
            import('./pipeline/ingest.js'),
        ]);
        const dependencies = await resolveDependencies(this.client, [...(options.dependencies ?? [])], signal);
        const result = await manifests.prepareDatasetRecord(dir, {
            key: options.key,
            store,
            records: {
                // The latest record is the last ledger read before the files move.
                get: async (key, getOptions) => {
                    try {
                        return await this.client.get(key, getOptions);
                    } finally {
                        await this.#releaseLedger();
                    }
                },
            },
            pool: hashing.pool,
            cache: hashing.cache,
            upload: options.upload ?? false,
            ingest: ingestFile,
            dependencies,
            ...(options.meta !== undefined && { meta: options.meta }),
            ...(options.type !== undefined && { type: options.type }),
            ...(options.include !== undefined && { include: options.include }),
            ...(options.exclude !== undefined && { exclude: options.exclude }),
            ...(signal && { signal }),
        });
        const summary = {
            count: result.manifest.count,
            totalSize: result.manifest.totalSize,
            skipped: result.skipped.map((entry) => entry.path),
        };
        if (result.status === 'unchanged') return { status: 'unchanged', record: result.record, ...summary };
        // Manifest (and files) are durable in the store by now; only then is the record submitted.
        const committed = await this.client.set(result.input, signal ? { signal } : {});
        return {
            status: 'changed',
            record: committed.value,
            ...summary,
            ...(result.changes && { changes: result.changes.counts }),
            ...(result.upload && { upload: { transferred: result.upload.transferred, skipped: result.upload.skipped, bytes: result.upload.bytes } }),
        };
    }

    async verifyDataset(keyOrId: string, dir: string, options: { signal?: AbortSignal } = {}): Promise<DatasetVerification> {
        const record = await this.resolve(keyOrId);
        const [store, hashing, manifests] = await Promise.all([this.#storeFor(record.location), this.#hashing(), import('./manifests/index.js')]);
        // No cache: verify re-reads every byte (an edit can restore a file's mtime).
        return manifests.verifyDataset(record, store, dir, { pool: hashing.pool, ...(options.signal && { signal: options.signal }) });
    }

    async check(file: string, options: { key?: string; signal?: AbortSignal } = {}): Promise<FileCheck> {
        const { key, signal } = options;
        if (key !== undefined) await this.client.get(key, signal ? { signal } : {});
        await this.#releaseLedger();
        const [{ pool }, { hashFile }] = await Promise.all([this.#hashing(), import('./hashing/index.js')]);
        // No hash cache: the answer must come from the bytes as they are now.
        const hashed = await hashFile(file, { pool, ...(signal && { signal }) });
        const records = await this.client.getByChecksum(hashed.checksum, signal ? { signal } : {});
        return {
            file: path.resolve(file),
            checksum: hashed.checksum,
            size: hashed.size,
            records,
            ...(key !== undefined && { key: await this.client.checkHash(key, hashed.checksum, signal ? { signal } : {}) }),
        };
    }

    async fetch(keyOrId: string, out: string, options: FetchOptions = {}): Promise<FetchResult> {
        const record = await this.resolve(keyOrId);
        await this.#releaseLedger();
        const store = await this.#storeFor(record.location);
        return fetchRecordBytes(record, store, out, options);
    }

    async status(): Promise<TrackerStatus> {
        const info = await this.ledger.info();
        return { projectDir: this.projectDir, store: this.config.store, ledger: { backend: info.backend, height: info.height.toString() } };
    }

    close(): Promise<void> {
        this.#closing ??= (async () => {
            const results = await Promise.allSettled([
                this.#hashResources?.then((resources) => resources.close()),
                this.#stores.close(),
                this.ledger.close(),
            ]);
            const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
            if (failed) throw failed.reason;
        })();
        return this.#closing;
    }

    [Symbol.asyncDispose](): Promise<void> {
        return this.close();
    }

    async #releaseLedger(): Promise<void> {
        if (this.options.shareLedger) await this.ledger.release();
    }

    /** The store holding a record's bytes; the configured store when the record was written through it. */
    async #storeFor(location: string) {
        await this.#openConfiguredStore();
        return this.#stores.open(location);
    }

    /**
     * Opens the configured store so the registry knows it under its own location as well. Best
     * effort: if it is down, records elsewhere can still be read, and its own records fail later
     * with its real error.
     */
    async #openConfiguredStore(): Promise<void> {
        await this.#stores.open(this.config.store).catch(() => undefined);
    }

    /** Size of an object, for `put` without a size; a recorded size is never guessed. */
    async #sizeOf(location: string, pointer: string): Promise<number> {
        try {
            const store = await this.#storeFor(location);
            return (await store.stat(pointer)).size;
        } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            throw new TrackerError('INVALID_ARGUMENT', `give the size (--size): it could not be read from ${location} ${pointer} (${reason})`, { cause: error });
        }
    }

    /** Every version of every key, latest first per key. */
    async *#allVersions(): AsyncGenerator<ProvenanceRecord> {
        for await (const latest of this.client.rangeAll('', '', { pageSize: 500 })) {
            yield* this.client.historyAll(latest.key, { pageSize: 500 });
        }
    }

    async #verifyLedger(): Promise<LedgerCheck> {
        const result = await this.ledger.use(async (ledger) => (typeof ledger.verify === 'function' ? ledger.verify() : undefined));
        if (result === undefined) {
            const info = await this.ledger.info();
            return {
                ok: true,
                height: info.height.toString(),
                problems: [{ message: `the ${info.backend} backend is verified by its own peers; nothing to check locally` }],
            };
        }
        return { ok: result.ok, height: String(result.height), problems: result.problems };
    }

    /** The hash pool and hash cache start on first use only: other commands never pay for worker threads. */
    #hashing(): Promise<HashResources> {
        this.#hashResources ??= openHashResources(this.config, this.hyperprovDir, this.options.hashThreads);
        return this.#hashResources;
    }

    async #ingester(storeUrl: string = this.config.store): Promise<{ ingest: Ingest }> {
        const [{ pool, cache }, { ingestFile }, store] = await Promise.all([
            this.#hashing(),
            import('./pipeline/ingest.js'),
            this.#stores.open(storeUrl),
        ]);
        return { ingest: (file, options) => ingestFile(file, store, { pool, cache, ...options }) };
    }
}

interface HashResources {
    pool: HashPool;
    cache: HashCache;
    close(): Promise<void>;
}

async function openHashResources(config: TrackerConfig, hyperprovDir: string, threads: number | undefined): Promise<HashResources> {
    const { createHashPool, openHashCache } = await import('./hashing/index.js');
    const pool = createHashPool(threads !== undefined ? { threads } : {});
    try {
        const cache = await openHashCache(resolveConfigPath(hyperprovDir, config.cache));
        return {
            pool,
            cache,
            close: async () => {
                await Promise.all([pool.close(), cache.close()]);
            },
        };
    } catch (error) {
        await pool.close();
        throw error;
    }
}

function canonicalStoreUrl(url: string): string {
    const parsed = parseStoreLocation(url);
    return formatStoreUrl(parsed);
}

async function exists(file: string): Promise<boolean> {
    try {
        await stat(file);
        return true;
    } catch {
        return false;
    }
}
