/**
 * The Tracker facade: one project's ledger (let go of while bytes move, when shared), its stores
 * and, created on first use, its hash workers. Each method is a thin call into the module that
 * owns the work (pipeline, manifests, lineage, client).
 */
import path from 'node:path';
import type { Page, ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { checkRecordInput, createProvenanceClient, type PageOptions, type ProvenanceClient } from '../client/provenance-client.js';
import type { ReleasableLedger } from '../client/releasable-ledger.js';
import { resolveConfigPath, type TrackerConfig } from '../config/index.js';
import { TrackerError, isTrackerError } from '@hyperprov/errors';
import type { HashCache, HashPool } from '../hashing/index.js';
import { getLineage, type GetLineageOptions, type Lineage } from '../lineage/lineage.js';
import type { DatasetVerification } from '../manifests/index.js';
import { fetchRecordBytes, type FetchOptions, type FetchResult } from '../pipeline/record-fetch.js';
import { verifyRecords } from '../pipeline/record-verify.js';
import { putRecord, recordFile, resolveDependencies, type Ingest, type PutInput, type RecordFileOptions, type RecordResult } from '../pipeline/record.js';
import { toProjectRelative, type ProjectStore } from '../stores/project-store.js';
import { assertNotProjectFile } from '../pipeline/project-files.js';
import { createStoreRegistry, parseStoreLocation, type StoreModes, type StoreRegistry } from '../stores/registry.js';
import type { VerifiableLedger } from './ledger-backends.js';
import type { EpochHandle, EpochInput, EpochStatus, FlushResult, RunDetails, RunSummary } from '../epoch/epoch-types.js';
import { makeRunId } from '../epoch/epoch-entry.js';
import { Outbox } from '../epoch/outbox.js';
import type { ReproduceOptions, ReproduceReport, ReproduceTarget } from '../answers/reproduce.js';
import type { RecordDiff } from '../answers/diff-records.js';
import type { ExportFormat, ExportResult } from '../answers/export/index.js';
import { certificateSubject } from './certificate-subject.js';
import type { FileCheck, GcOptions, GcReport, LedgerCheck, OpenTrackerOptions, OrphanSummary, RecordDatasetOptions, RecordDatasetResult, Tracker, TrackerStatus, VerifyOptions, VerifyReport } from '../tracker.js';

export class ProjectTracker implements Tracker {
    readonly client: ProvenanceClient;
    readonly #stores: StoreRegistry;
    /** The configured store as used: relative when it is inside the project (see stores/project-store.ts). */
    readonly #storeUrl: string;
    #hashResources: Promise<HashResources> | undefined;
    #closing: Promise<void> | undefined;
    #outbox: Outbox | undefined;
    /** Run id of epochs that name none. */
    readonly defaultRun: string;

    constructor(
        readonly projectDir: string,
        private readonly hyperprovDir: string,
        readonly config: TrackerConfig,
        store: ProjectStore,
        modes: StoreModes,
        private readonly ledger: ReleasableLedger<VerifiableLedger>,
        private readonly options: OpenTrackerOptions,
        /** Who signs this project's records: the creator every new record carries. */
        private readonly signer: { mspId: string; certificatePem: string },
    ) {
        this.client = createProvenanceClient(ledger);
        this.#storeUrl = store.url;
        this.#stores = createStoreRegistry({ projectDir, aliases: store.aliases, modes });
        this.defaultRun = options.run ?? makeRunId();
        if (options.drainOutbox) this.#epochs().start();
    }

    async record(file: string, options: RecordFileOptions): Promise<RecordResult> {
        await assertNotProjectFile(file, this.hyperprovDir, this.#localStoreRoots());
        return this.#recordFile(file, options);
    }

    /** `owned`: the file is the tracker's own and goes away after (a snapshot): the store may adopt it. */
    async #recordFile(file: string, options: RecordFileOptions, owned = false): Promise<RecordResult> {
        // `options.store` sends this one file to another store than the configured one.
        const storeUrl = options.store !== undefined ? toProjectRelative(options.store, this.projectDir, process.cwd()) : this.#storeUrl;
        const store = await this.#stores.open(storeUrl);
        const ingest: Ingest = async (source, ingestOptions) => {
            // Checks are done; while the bytes move, other processes may use the ledger.
            await this.#releaseLedger();
            return (await this.#ingester(storeUrl, owned)).ingest(source, ingestOptions);
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
            // The records are read first and the ledger let go while their bytes are hashed, which
            // can take minutes: other commands must not wait for that (or time out behind it).
            const records = options.target !== undefined ? [await this.resolve(options.target)] : this.#versionsReleasing();
            if (options.target !== undefined) await this.#releaseLedger();
            await this.#openConfiguredStore();
            report.objects = await verifyRecords(records, this.#stores, {
                ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
                ...(options.signal && { signal: options.signal }),
            });
            report.ok &&= report.objects.ok;
            if (options.target === undefined) report.orphans = await this.#orphanSummary(options.signal);
        }
        if (options.ledger || everything) {
            report.ledger = await this.#verifyLedger();
            report.ok &&= report.ledger.ok;
        }
        return report;
    }

    async gc(options: GcOptions = {}): Promise<GcReport> {
        const { signal } = options;
        const { DEFAULT_GC_MIN_AGE_MS, deleteOrphans, findOrphans } = await import('../pipeline/store-gc.js');
        const minAgeMs = options.minAgeMs ?? DEFAULT_GC_MIN_AGE_MS;
        const storeUrl = options.store !== undefined ? toProjectRelative(options.store, this.projectDir, process.cwd()) : this.#storeUrl;
        await this.#openConfiguredStore();
        const store = await this.#stores.open(storeUrl);
        const scan = await findOrphans(this.#allVersions(), store, this.#stores, { minAgeMs, ...(signal && { signal }) });
        await this.#releaseLedger();
        const deletion = options.delete ? await deleteOrphans(scan, store, { minAgeMs, ...(signal && { signal }) }) : { deleted: 0, deletedBytes: 0 };
        return { ...scan, ...deletion, dryRun: !options.delete, minAgeMs };
    }

    /** Orphans of the configured store for verify's report; a failure to count is reported, not thrown. */
    async #orphanSummary(signal?: AbortSignal): Promise<OrphanSummary> {
        try {
            const { findOrphans } = await import('../pipeline/store-gc.js');
            const store = await this.#stores.open(this.#storeUrl);
            const scan = await findOrphans(this.#allVersions(), store, this.#stores, signal ? { signal } : {});
            return { store: scan.store, count: scan.orphans.length, bytes: scan.orphanBytes, recent: scan.orphans.filter((o) => o.recent).length };
        } catch (error) {
            if (isTrackerError(error, 'ABORTED')) throw error;
            return { store: this.#storeUrl, count: 0, bytes: 0, recent: 0, error: error instanceof Error ? error.message : String(error) };
        }
    }

    recordDataset(dir: string, options: RecordDatasetOptions): Promise<RecordDatasetResult> {
        return this.#recordDataset(dir, options, false);
    }

    /**
     * `owned`: the directory is the tracker's own (an epoch's snapshot of a checkpoint directory,
     * deleted after): the store may adopt its files, as it does a snapshot file, instead of
     * copying their bytes again. Never for a user's directory: an adopted file shares its inode
     * with the object, so a later write to the file would change the stored bytes.
     */
    async #recordDataset(dir: string, options: RecordDatasetOptions, owned: boolean): Promise<RecordDatasetResult> {
        const { signal } = options;
        // A missing directory is said before the hash workers start: a process that exits while
        // workers are still starting can crash inside Node (piscina, v8 ToLocalChecked).
        await (await import('../manifests/index.js')).datasetRoot(dir);
        const [store, hashing, manifests, ingest] = await Promise.all([
            this.#stores.open(this.#storeUrl),
            this.#hashing(),
            import('../manifests/index.js'),
            owned ? import('../pipeline/adopt.js').then((m) => m.ingestOwnedFile) : import('../pipeline/ingest.js').then((m) => m.ingestFile),
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
            ingest,
            adopting: owned,
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
        const [store, hashing, manifests] = await Promise.all([this.#storeFor(record.location), this.#hashing(), import('../manifests/index.js')]);
        // No cache: verify re-reads every byte (an edit can restore a file's mtime).
        return manifests.verifyDataset(record, store, dir, { pool: hashing.pool, ...(options.signal && { signal: options.signal }) });
    }

    async check(file: string, options: { key?: string; signal?: AbortSignal } = {}): Promise<FileCheck> {
        const { key, signal } = options;
        if (key !== undefined) await this.client.get(key, signal ? { signal } : {});
        await this.#releaseLedger();
        const [{ pool }, { hashFile }] = await Promise.all([this.#hashing(), import('../hashing/index.js')]);
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
        return {
            projectDir: this.projectDir,
            store: this.#storeUrl,
            // Parsed here, not at open: only status shows it.
            identity: { mspId: this.signer.mspId, subject: certificateSubject(this.signer.certificatePem) },
            ledger: { backend: info.backend, height: info.height.toString(), ...(info.attention && { attention: info.attention }) },
        };
    }

    epoch(input: EpochInput): Promise<EpochHandle> {
        return this.#epochs().enqueue(input);
    }

    epochStatus(entry: string): Promise<EpochStatus | undefined> {
        return this.#epochs().status(entry);
    }

    flush(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
        return this.#epochs().flush(options);
    }

    runs(options: PageOptions = {}): Promise<Page<RunSummary>> {
        return this.client.runs(options);
    }

    run(id: string, options: PageOptions = {}): Promise<RunDetails> {
        return this.client.run(id, options);
    }

    async reproduce(target: ReproduceTarget, outDir: string, options: ReproduceOptions = {}): Promise<ReproduceReport> {
        const { reproduce } = await import('../answers/reproduce.js');
        const client = this.client;
        return reproduce(
            {
                resolve: (keyOrId) => this.resolve(keyOrId),
                show: (id) => this.show(id),
                storeFor: (location) => this.#storeFor(location),
                async *runRecords(run) {
                    let bookmark = '';
                    do {
                        const page = await client.run(run, { pageSize: 1000, bookmark });
                        yield* page.records.items;
                        bookmark = page.records.bookmark;
                    } while (bookmark !== '');
                },
            },
            target,
            outDir,
            options,
        );
    }

    async diff(a: string, b: string, options: { signal?: AbortSignal } = {}): Promise<RecordDiff> {
        const { diffRecords } = await import('../answers/diff-records.js');
        return diffRecords(
            {
                resolve: (keyOrId) => this.resolve(keyOrId),
                show: (id) => this.show(id),
                storeFor: (location) => this.#storeFor(location),
                dependencies: (id) => this.client.dependencies(id),
            },
            a,
            b,
            options.signal,
        );
    }

    async export(id: string, options: { format: ExportFormat; direction?: 'up' | 'down'; depth?: number; signal?: AbortSignal }): Promise<ExportResult> {
        const { EXPORT_FORMATS, exportGraph } = await import('../answers/export/index.js');
        if (!(EXPORT_FORMATS as readonly string[]).includes(options.format)) {
            throw new TrackerError('INVALID_ARGUMENT', `export format ${JSON.stringify(options.format)} is unknown; give one of ${EXPORT_FORMATS.join(', ')}`);
        }
        const record = await this.resolve(id);
        const direction = options.direction ?? 'up';
        const graph = await getLineage(this.client, record.id, {
            direction,
            ...(options.depth !== undefined && { depth: options.depth }),
            ...(options.signal && { signal: options.signal }),
        });
        return exportGraph(graph, direction, options.format);
    }

    /** The outbox, made on first use; records snapshots from inside .hyperprov/, which record() refuses. */
    #epochs(): Outbox {
        this.#outbox ??= new Outbox(
            this.hyperprovDir,
            {
                projectDir: this.projectDir,
                recordSnapshot: (file, options) => this.#recordFile(file, options, true),
                recordDataset: (dir, options) => this.recordDataset(dir, options),
                recordSnapshotDir: (dir, options) => this.#recordDataset(dir, options, true),
                resolve: (keyOrId) => this.resolve(keyOrId),
                history: (key, options) => this.history(key, options),
            },
            {
                defaultRun: this.defaultRun,
                ...(this.options.onEpochAttemptFailed && { onAttemptFailed: this.options.onEpochAttemptFailed }),
                ...(this.options.epochCloseTimeoutMs !== undefined && { closeTimeoutMs: this.options.epochCloseTimeoutMs }),
            },
        );
        return this.#outbox;
    }

    close(): Promise<void> {
        this.#closing ??= (async () => {
            await this.#outbox?.close();
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

    /** Roots of the local stores this project writes to (not searched for hard links to secrets). */
    #localStoreRoots(): string[] {
        const parsed = parseStoreLocation(this.#storeUrl, this.projectDir, this.projectDir);
        return parsed.kind === 'file' ? [parsed.root] : [];
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
        await this.#stores.open(this.#storeUrl).catch(() => undefined);
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

    /**
     * {@link #allVersions} read ahead in chunks, letting go of the ledger (shareLedger) before each
     * chunk is handed on: the caller hashes bytes meanwhile, and other processes get the ledger.
     */
    async *#versionsReleasing(): AsyncGenerator<ProvenanceRecord> {
        let chunk: ProvenanceRecord[] = [];
        for await (const record of this.#allVersions()) {
            chunk.push(record);
            if (chunk.length >= VERIFY_READ_AHEAD) {
                await this.#releaseLedger();
                yield* chunk;
                chunk = [];
            }
        }
        await this.#releaseLedger();
        yield* chunk;
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
        return { ok: result.ok, height: String(result.height), problems: result.problems, ...(result.notes && { notes: result.notes }) };
    }

    /** The hash pool and hash cache start on first use only: other commands never pay for worker threads. */
    #hashing(): Promise<HashResources> {
        this.#hashResources ??= openHashResources(this.config, this.hyperprovDir, this.options.hashThreads);
        return this.#hashResources;
    }

    async #ingester(storeUrl: string = this.#storeUrl, owned = false): Promise<{ ingest: Ingest }> {
        const [{ pool, cache }, ingestInto, store] = await Promise.all([
            this.#hashing(),
            owned ? import('../pipeline/adopt.js').then((m) => m.ingestOwnedFile) : import('../pipeline/ingest.js').then((m) => m.ingestFile),
            this.#stores.open(storeUrl),
        ]);
        return { ingest: (file, options) => ingestInto(file, store, { pool, cache, ...options }) };
    }
}

/** Records read from the ledger at a time by verify, before it lets the ledger go and hashes them. */
const VERIFY_READ_AHEAD = 1000;

interface HashResources {
    pool: HashPool;
    cache: HashCache;
    close(): Promise<void>;
}

async function openHashResources(config: TrackerConfig, hyperprovDir: string, threads: number | undefined): Promise<HashResources> {
    const { createHashPool, openHashCache } = await import('../hashing/index.js');
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
