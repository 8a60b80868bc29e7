/**
 * The tracker SDK's API: one object per project that records files and metadata, answers provenance
 * queries, verifies stored bytes and the ledger, and fetches recorded bytes. The CLI, the HTTP
 * server, the watcher and the epoch hook all go through it.
 *
 * ```ts
 * await using tracker = await openTracker({ dir: '.' }); // project/open-project.ts
 * const { record } = await tracker.record('model.pt', { key: 'models/resnet', dependencies: [dataId] });
 * ```
 */
import type { HashCheck, JsonValue, Page, ProvenanceRecord, RecordType } from '@hyperprov/chaincode/protocol';
import type { LedgerAttention, LedgerInfo } from '@hyperprov/ledger';
import type { LedgerVerification } from '@hyperprov/ledger-embedded';
import type { ProvenanceClient, PageOptions } from './client/provenance-client.js';
import type { TrackerConfig } from './config/index.js';
import type { GetLineageOptions, Lineage } from './lineage/lineage.js';
import type { DatasetVerification } from './manifests/index.js';
import type { FetchOptions, FetchResult } from './pipeline/record-fetch.js';
import type { ObjectVerification } from './pipeline/record-verify.js';
import type { OrphanDeletion, OrphanScan } from './pipeline/store-gc.js';
import type { PutInput, RecordFileOptions, RecordResult } from './pipeline/record.js';
import type { EpochHandle, EpochInput, EpochStatus, FlushResult, RunDetails, RunSummary } from './epoch/epoch-types.js';
import type { ReproduceOptions, ReproduceReport, ReproduceTarget } from './answers/reproduce.js';
import type { RecordDiff } from './answers/diff-records.js';
import type { ExportFormat, ExportResult } from './answers/export/index.js';

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
    /** Told when the embedded ledger is busy and this tracker waits its turn for it (e.g. to print it). */
    onLedgerWait?: (message: string) => void;
    /** Run id of epochs that name none; default one made at open (`run-<UTC time>-<4 hex>`). */
    run?: string;
    /**
     * Start recording the outbox's entries at open (what the project server does, so epochs a
     * crash left behind are recorded at the next start); otherwise at the first `epoch` or `flush`.
     */
    drainOutbox?: boolean;
    /**
     * How long `close` waits for the epochs this tracker accepted to commit (default 10 000 ms; 0:
     * not at all). Those still pending then are named in a process warning and stay in the outbox.
     */
    epochCloseTimeoutMs?: number;
    /** Told about each failed attempt to record an epoch (retried unless its state is `failed`). */
    onEpochAttemptFailed?: (status: EpochStatus) => void;
}

/** Options of {@link initTracker}. */
export interface InitTrackerOptions {
    /** Directory to initialise (created if missing); default the working directory. */
    dir?: string;
    /**
     * Store URL for recorded bytes; default a local store in `.hyperprov/objects`. A bare path means
     * a local directory, relative to `dir`. A local store inside the project is recorded relative to
     * it (`file:.hyperprov/objects`), so the project can be renamed or moved.
     */
    store?: string;
    /** `fsync` (default) or `none` (throwaway runs only). */
    durability?: 'fsync' | 'none';
    /** MSP id of the new identity; default `LocalMSP`. Embedded ledger only: on Fabric the MSP is the org's. */
    mspId?: string;
    /**
     * Record on a Hyperledger Fabric network instead of the embedded ledger: its connection file
     * (copied into the project), the organisation whose peer is the gateway (name or MSP id;
     * default the first), and which of that organisation's users in the file signs (default
     * `User1`, else the first). `hyperprov enroll` can later switch to a CA-enrolled user.
     */
    fabric?: { connection: string; org?: string; user?: string };
}

/** Options of {@link enrollIdentity}. */
export interface EnrollOptions {
    /** A directory inside the project; default the working directory. */
    dir?: string;
    /** Enrollment id of the user (its certificate's common name). */
    user: string;
    /** The user's secret when it is already registered; without it the user is registered first. */
    secret?: string;
    /** URL of the Fabric CA; default the CA of the project's organisation in its connection file. */
    ca?: string;
    /** Registrar that registers the user; default the registrar the connection file names. */
    registrar?: { enrollId: string; enrollSecret: string };
    /** Attributes written into the certificate (Fabric CA `ecert` attributes), readable by the chaincode. */
    attributes?: readonly { name: string; value: string }[];
}

/** What {@link enrollIdentity} did. */
export interface EnrollResult {
    user: string;
    mspId: string;
    /** Subject of the new certificate, as the chaincode sees it in every record's creator. */
    subject: string;
    /** Whether the user was registered now (false: it had a secret). */
    registered: boolean;
    /** The project's identity folder now, holding cert.pem and key.pem (mode 0600). */
    identityDir: string;
    certificate: string;
    attributes: readonly { name: string; value: string }[];
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
    /** Worth knowing, not failures (e.g. an interrupted write that the next record cuts off). */
    notes?: string[];
}

/** Result of {@link Tracker.verify}: `ok` only if every selected check passed. */
export interface VerifyReport {
    ok: boolean;
    objects?: ObjectVerification;
    ledger?: LedgerCheck;
    /** With every record checked: objects of the configured store that no record references. */
    orphans?: OrphanSummary;
}

/**
 * Stored objects no record references (what failed or killed records leave): counted by
 * `verify`, not a failure; {@link Tracker.gc} lists and removes them.
 */
export interface OrphanSummary {
    /** Location of the store scanned. */
    store: string;
    count: number;
    bytes: number;
    /** Of those, written within gc's minimum age (a record may still be committing them). */
    recent: number;
    /** Why they could not be counted (the counts are then 0). */
    error?: string;
}

/** Options of {@link Tracker.gc}. */
export interface GcOptions {
    /** Delete the orphans older than `minAgeMs`; default false: only list them. */
    delete?: boolean;
    /** Keep objects written less than this long ago (default one hour). */
    minAgeMs?: number;
    /** Store URL to scan instead of the configured store. */
    store?: string;
    signal?: AbortSignal;
}

/** Result of {@link Tracker.gc}. */
export interface GcReport extends OrphanScan, OrphanDeletion {
    /** True without `delete`: nothing was removed. */
    dryRun: boolean;
    minAgeMs: number;
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
    /** The identity that signs new records: MSP id and certificate subject. */
    identity: { mspId: string; subject: string };
    ledger: {
        backend: LedgerInfo['backend'];
        height: string;
        /** Set when the ledger's files need attention: what happened and what to do. */
        attention?: LedgerAttention;
    };
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
     * Finds objects in the store that no record (nor any dataset's object index) references, and
     * with `delete` removes those older than `minAgeMs`. Throws, deleting nothing, when a
     * dataset's object index cannot be read.
     */
    gc(options?: GcOptions): Promise<GcReport>;
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
    /**
     * The epoch hook: accepts a checkpoint and resolves as soon as the request is durable in the
     * project's outbox (a millisecond or two). The handle's `snapshotted` settles once the bytes are
     * copied (the trainer may overwrite the file then), `committed` once the record is on the ledger
     * with the dataset manifests and the run's previous checkpoint as dependencies.
     */
    epoch(input: EpochInput): Promise<EpochHandle>;
    /** Where an outbox entry is; undefined when the entry is unknown. */
    epochStatus(entry: string): Promise<EpochStatus | undefined>;
    /** Waits up to `timeoutMs` (default 30 s) for the outbox to empty and says what is still pending. */
    flush(options?: { timeoutMs?: number }): Promise<FlushResult>;
    /** Training runs, from the contract's runs index. */
    runs(options?: PageOptions): Promise<Page<RunSummary>>;
    /** One run: summary and its checkpoints, oldest first. */
    run(id: string, options?: PageOptions): Promise<RunDetails>;
    /**
     * Writes a model (a record id or key, or a run's last checkpoint or that of an epoch), its
     * dataset manifests and the uploaded dataset files into `outDir` (new or empty), every byte
     * checked, with `reproduce.json` and `SUMMARY.md`; all or nothing.
     */
    reproduce(target: ReproduceTarget, outDir: string, options?: ReproduceOptions): Promise<ReproduceReport>;
    /** What changed from record `a` to `b` (ids or keys): bytes, dataset files, params, metrics, code revision, lineage. */
    diff(a: string, b: string, options?: { signal?: AbortSignal }): Promise<RecordDiff>;
    /** The lineage of `id` (up, or down with `direction: 'down'`) as PROV-JSON, DOT, Mermaid or OpenLineage events. */
    export(id: string, options: { format: ExportFormat; direction?: 'up' | 'down'; depth?: number; signal?: AbortSignal }): Promise<ExportResult>;
    /** Stops the outbox (entries not yet recorded stay for the next start), then releases everything. */
    close(): Promise<void>;
}
