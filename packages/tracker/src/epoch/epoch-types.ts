/**
 * The epoch hook's shapes: what a training loop (JS, CLI, HTTP, Python) or the folder watcher
 * hands over after each epoch, and what it gets back. One behaviour everywhere: the call returns
 * once the request is durable in the project's outbox (`.hyperprov/outbox/`); snapshot, dataset
 * manifests, upload and the ledger transaction happen after, retried until they succeed.
 */
import type { JsonValue, ProvenanceRecord } from '@hyperprov/chaincode/protocol';

/** One checkpoint to record. */
export interface EpochInput {
    /** The checkpoint: a file or a checkpoint directory (absolute, or relative to `cwd`). */
    model: string;
    /** Item key of the model; default `models/<model path relative to the project>` (a directory's own name for `checkpoint-N/` folders is left out by the watcher, which passes its own key). */
    key?: string;
    /** Epoch number (whole, ≥ 0). */
    epoch?: number;
    /** Metrics of this epoch, e.g. `{ loss: 0.41, accuracy: 0.87 }`. */
    metrics?: { [name: string]: JsonValue };
    /** Hyper-parameters of the run. */
    params?: { [name: string]: JsonValue };
    /** Datasets it was trained/tested on: name → a directory (manifested once per content) or a record id or key. */
    datasets?: { [name: string]: string };
    /** Run id tying the epochs of one training run together; default: one made per tracker (see {@link EpochHandle.run}). */
    run?: string;
    /** Extra metadata, merged under the fields above. */
    meta?: { [key: string]: JsonValue };
    /**
     * Makes retries safe: a second call with the same key returns the first call's handle (or its
     * result) instead of recording again. Default: a fresh key per call.
     */
    idempotencyKey?: string;
    /** Base for a relative `model` and dataset directories; default the working directory. */
    cwd?: string;
    /**
     * What the checkpoint looked like when the caller decided to record it (a caller in another
     * process, e.g. Python or the watcher, sends it): if the file no longer matches when it is
     * snapshotted, the entry fails as FILE_CHANGED instead of recording other bytes.
     * For a directory: its newest file's mtime and the total size.
     */
    expect?: { size: number; mtimeMs: number };
}

/** Where one outbox entry is. */
export type EpochState =
    /** durable in the outbox, snapshot not taken yet */
    | 'queued'
    /** the checkpoint's bytes are copied into the outbox; the trainer may overwrite the file */
    | 'snapshotted'
    /** committed on the ledger */
    | 'committed'
    /** given up: the reason says what to do (the entry is kept under `.hyperprov/outbox/failed/`) */
    | 'failed';

/** What an epoch call returns at once. */
export interface EpochHandle {
    /** The outbox entry id (also the idempotency key when none was given). */
    entry: string;
    run: string;
    key: string;
    /** Settles once the checkpoint's bytes are snapshotted (the trainer may overwrite them then). */
    snapshotted: Promise<void>;
    /** Settles at commit with the record; rejects with a TrackerError only when the entry failed for good. */
    committed: Promise<EpochResult>;
}

/** A committed epoch. */
export interface EpochResult {
    entry: string;
    run: string;
    record: ProvenanceRecord;
    /** Dataset name → the manifest record id it depends on. */
    datasets: { [name: string]: string };
    /** The previous checkpoint of the same run and key, when there was one. */
    previous?: string;
    /** True when the entry had already been recorded (a retry or a restart after a crash). */
    duplicate: boolean;
}

/** Status of one entry, for `GET /v1/epochs/<entry>` and the CLI. */
export interface EpochStatus {
    entry: string;
    run: string;
    key: string;
    state: EpochState;
    /** Record id once committed. */
    recordId?: string;
    /** Why the last attempt failed (state `queued`/`snapshotted`: it will be retried), or why it gave up. */
    error?: { code: string; message: string };
    attempts: number;
    /** ISO time of the next retry, when waiting for one. */
    retryAt?: string;
}

/** Result of `flush`: what is still not committed when it returned. */
export interface FlushResult {
    /** True when every entry is committed or failed. */
    done: boolean;
    pending: EpochStatus[];
    failed: EpochStatus[];
}

/** A run's summary and details, as the contract's runs index keeps them. */
export type { RunDetails, RunSummary } from '@hyperprov/chaincode/protocol';

/**
 * Where the watcher (and any other producer) sends checkpoints: the project's own tracker
 * in-process, or the project server over HTTP. Both write the same outbox.
 */
export interface EpochSink {
    epoch(input: EpochInput): Promise<EpochHandle>;
    /** Records a dataset directory now (a changed dataset gets a new manifest; unchanged ones are not recorded again). */
    dataset?(dir: string, key: string): Promise<{ id: string; status: 'changed' | 'unchanged' }>;
    /** Every record of these exact bytes (the watcher records identical content once). */
    byChecksum?(checksum: string): Promise<ProvenanceRecord[]>;
    /** Waits up to `timeoutMs` for the outbox to empty. */
    flush(options?: { timeoutMs?: number }): Promise<FlushResult>;
}
