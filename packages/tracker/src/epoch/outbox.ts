/**
 * The durable outbox behind the epoch hook. `enqueue` writes the request to disk and returns; the
 * checkpoint is snapshotted at once in the background; one process per project (the one holding
 * `drain.lock`: the project server, or the training process itself) records entries one at a
 * time, oldest first, retrying ledger and store outages with back-off. A crash at any point
 * loses nothing: the next process to drain finds the entry, re-takes a snapshot that did not
 * finish (if the checkpoint is unchanged), and an entry already on the ledger is not recorded again.
 */
import { mkdirSync } from 'node:fs';
import { mkdir, open, rm, unlink, readFile } from 'node:fs/promises';
import path from 'node:path';
import { TrackerError, isTrackerError } from '@hyperprov/errors';
import type { EpochHandle, EpochInput, EpochResult, EpochStatus, FlushResult } from './epoch-types.js';
import { acceptEpoch, recordEntry, type DoneFile, type EntryFile, type EpochTarget, type SnapshotFile } from './epoch-entry.js';
import { gitRevision } from './git-revision.js';
import { listEntries, moveToFailed, outboxPaths, readJson, readJsonSync, syncDir, syncFile, writeJsonAtomicSync, writeJsonDurably, type OutboxPaths } from './outbox-files.js';
import { isAlive } from './process-alive.js';
import { syncSnapshot, takeSnapshot } from './snapshot.js';

/** `attempt.json`. */
interface AttemptFile {
    attempts: number;
    error: { code: string; message: string };
    retryAt: string;
}

/** Codes worth retrying: the ledger or store may come back. Anything else will fail the same way again. */
const RETRYABLE = new Set(['LEDGER_UNAVAILABLE', 'STORE_UNAVAILABLE', 'TIMEOUT', 'CONFLICT', 'IO_ERROR', 'ABORTED', 'INTERNAL']);

export interface OutboxOptions {
    /** Run id for inputs that name none. */
    defaultRun: string;
    /** Idle poll for entries other processes wrote (ms); default 1000. */
    pollMs?: number;
    /** First retry delay (ms), doubled per attempt up to `maxRetryMs`; default 500 / 30 000. */
    retryMs?: number;
    /** How long close() waits for this process's own epochs to commit (default 10 000 ms; 0: not at all). */
    closeTimeoutMs?: number;
    maxRetryMs?: number;
    /** Told about failed attempts (the CLI and server log them). */
    onAttemptFailed?: (status: EpochStatus) => void;
}

interface Waiters {
    snapshotted: Deferred<void>;
    committed: Deferred<EpochResult>;
}

export class Outbox {
    readonly paths: OutboxPaths;
    readonly #waiters = new Map<string, Waiters>();
    readonly #snapshots = new Map<string, Promise<void>>();
    readonly #failedHere = new Map<string, EpochStatus>();
    /** Entries whose committed promise has settled here. */
    readonly #settled = new Set<string>();
    readonly #abort = new AbortController();
    #loop: Promise<void> | undefined;
    #wake: (() => void) | undefined;
    /** Set by a kick that came while the loop was busy, so the wake-up is not lost. */
    #kicked = false;
    #ownsLock = false;
    #closed = false;

    constructor(
        hyperprovDir: string,
        private readonly target: EpochTarget,
        private readonly options: OutboxOptions,
    ) {
        this.paths = outboxPaths(hyperprovDir);
    }

    /** Accepts a checkpoint: durable on disk when this resolves; snapshot and record follow. */
    async enqueue(input: EpochInput): Promise<EpochHandle> {
        if (this.#closed) throw new TrackerError('ABORTED', 'the tracker is closed; open it again to record epochs');
        const entry = await acceptEpoch(input, this.target.projectDir, this.options.defaultRun);
        const handle = (waiters: Waiters): EpochHandle => ({
            entry: entry.entry,
            run: entry.run,
            key: entry.key,
            snapshotted: waiters.snapshotted.promise,
            committed: waiters.committed.promise,
        });
        // A key made here (the caller gave none) is new: no earlier call can have left an entry,
        // a result or a failure under it, so the three lookups below are skipped. They were the
        // hook's slowest calls: a lookup of a missing done/ file took 1–31 ms while a checkpoint
        // was being flushed (a lookup in a directory being changed waits for it and its journal).
        const fresh = input.idempotencyKey === undefined;
        // The same idempotency key again (a retried HTTP call, a restarted watcher): answer with the first call's outcome.
        const done = fresh ? undefined : readJsonSync<DoneFile>(this.paths.doneFile(entry.entry));
        if (done !== undefined) {
            const settled: Waiters = { snapshotted: deferred(), committed: deferred() };
            settled.snapshotted.resolve();
            settled.committed.resolve(resultOf(done, true));
            return handle(settled);
        }
        const known = this.#waiters.get(entry.entry);
        if (known !== undefined) return handle(known);
        const waiters = this.#waitersFor(entry.entry);
        const failed = fresh ? undefined : readJsonSync<{ code: string; message: string }>(path.join(this.paths.failed(entry.entry), 'reason.json'));
        if (failed !== undefined) {
            const error = new TrackerError(failed.code as never, failed.message);
            waiters.snapshotted.reject(error);
            waiters.committed.reject(error);
            return handle(waiters);
        }
        if (fresh || readJsonSync<EntryFile>(this.paths.entryFile(entry.entry)) === undefined) {
            mkdirSync(this.paths.entry(entry.entry), { recursive: true });
            // No fsync before returning: right after a checkpoint save, an fsync waits for the
            // journal to flush that checkpoint's data too (tens of ms on ext4). The entry is safe from
            // a crash of the process at once (the page cache survives it), and from a power cut once
            // the snapshot is taken, which syncs it; an unsynced checkpoint would be lost then anyway.
            writeJsonAtomicSync(this.paths.entryFile(entry.entry), entry);
            this.#snapshot(entry);
        } else if (readJsonSync(this.paths.snapshotFile(entry.entry)) !== undefined) {
            waiters.snapshotted.resolve();
        }
        this.start();
        return handle(waiters);
    }

    /** Status of an entry: in the outbox, done, or failed; undefined when unknown. */
    async status(entry: string): Promise<EpochStatus | undefined> {
        const done = await readJson<DoneFile>(this.paths.doneFile(entry));
        if (done !== undefined) return { entry, run: done.run, key: done.key, state: 'committed', recordId: done.record.id, attempts: 0 };
        const failedEntry = await readJson<EntryFile>(path.join(this.paths.failed(entry), 'entry.json'));
        if (failedEntry !== undefined) {
            const reason = await readJson<{ code: string; message: string; attempts?: number }>(path.join(this.paths.failed(entry), 'reason.json'));
            return {
                entry,
                run: failedEntry.run,
                key: failedEntry.key,
                state: 'failed',
                attempts: reason?.attempts ?? 1,
                ...(reason && { error: { code: reason.code, message: reason.message } }),
            };
        }
        const file = await readJson<EntryFile>(this.paths.entryFile(entry));
        if (file === undefined) return undefined;
        const snapshotted = (await readJson(this.paths.snapshotFile(entry))) !== undefined;
        const attempt = await readJson<AttemptFile>(this.paths.attemptFile(entry));
        return {
            entry,
            run: file.run,
            key: file.key,
            state: snapshotted ? 'snapshotted' : 'queued',
            attempts: attempt?.attempts ?? 0,
            ...(attempt && { error: attempt.error, retryAt: attempt.retryAt }),
        };
    }

    /** Waits until the outbox is empty or `timeoutMs` passed; says what is still pending. */
    async flush(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
        const deadline = Date.now() + (options.timeoutMs ?? 30_000);
        this.start();
        for (;;) {
            const pending = await this.#pendingStatuses();
            if (pending.length === 0 || Date.now() >= deadline) {
                return { done: pending.length === 0, pending, failed: [...this.#failedHere.values()] };
            }
            this.#kick();
            await sleep(Math.min(100, Math.max(1, deadline - Date.now())));
        }
    }

    /** Starts recording entries, if no other live process does (then this one keeps checking). */
    start(): void {
        if (this.#closed || this.#loop !== undefined) return;
        this.#loop = this.#run().catch(() => undefined);
    }

    /** Stops: the entry being recorded is aborted and stays in the outbox for the next start. */
    async close(): Promise<void> {
        if (this.#closed) return;
        // Epochs this process handed over get a bounded chance to commit before it goes; what is
        // left is said, and stays in the outbox for the next start.
        const mine = [...this.#waiters.keys()].filter((entry) => !this.#settled.has(entry));
        if (mine.length > 0 && (this.options.closeTimeoutMs ?? 10_000) > 0) {
            const flushed = await this.flush({ timeoutMs: this.options.closeTimeoutMs ?? 10_000 });
            const left = flushed.pending.filter((status) => mine.includes(status.entry));
            if (left.length > 0) {
                process.emitWarning(
                    `${left.length} epoch${left.length === 1 ? '' : 's'} not yet recorded (${left.map((s) => `${s.entry}: ${s.state}${s.error ? `, last error ${s.error.code}` : ''}`).join('; ')}); ` +
                        `they stay in ${this.paths.root} and are recorded at the next start (hyperprov serve, or the next epoch call)`,
                    { code: 'HYPERPROV_EPOCHS_PENDING' },
                );
            }
        }
        this.#closed = true;
        this.#abort.abort(new TrackerError('ABORTED', 'the tracker closed; the epoch stays in the outbox and is recorded at the next start'));
        this.#kick();
        await Promise.allSettled(this.#snapshots.values());
        await this.#loop;
        if (this.#ownsLock) await unlink(this.paths.lock).catch(() => undefined);
    }

    #waitersFor(entry: string): Waiters {
        let waiters = this.#waiters.get(entry);
        if (waiters === undefined) {
            waiters = { snapshotted: deferred(), committed: deferred() };
            // Callers that only want the entry durable must not see unhandled rejections.
            waiters.snapshotted.promise.catch(() => undefined);
            waiters.committed.promise.then(
                () => this.#settled.add(entry),
                () => this.#settled.add(entry),
            );
            this.#waiters.set(entry, waiters);
        }
        return waiters;
    }

    /** Takes the snapshot in the background (the hook has returned by then). */
    #snapshot(entry: EntryFile): void {
        const job = (async () => {
            try {
                await this.#takeSnapshot(entry);
                this.#waiters.get(entry.entry)?.snapshotted.resolve();
            } catch (error) {
                if (isTrackerError(error, 'FILE_CHANGED') || isTrackerError(error, 'INVALID_ARGUMENT')) await this.#fail(entry, error, 1);
                // Anything else (disk full…) is retried by the drainer, which snapshots again.
            } finally {
                this.#snapshots.delete(entry.entry);
                this.#kick();
            }
        })();
        this.#snapshots.set(entry.entry, job);
    }

    async #takeSnapshot(entry: EntryFile): Promise<void> {
        const target = this.paths.snapshot(entry.entry);
        await rm(target, { recursive: true, force: true });
        if (entry.source.kind === 'dir') await mkdir(target);
        // A copy, not an upload: copyFile is one call into the kernel, so it finishes in a fraction
        // of a second even while a training loop keeps this thread busy; an upload needs this
        // thread for every chunk and could still be reading when the trainer saves again.
        const [revision] = await Promise.all([gitRevision(path.dirname(entry.model)), takeSnapshot(entry.model, target, entry.source)]);
        await syncSnapshot(target, entry.source.kind);
        const snap: SnapshotFile = { snapshotAt: new Date().toISOString(), ...(revision && { git: revision }) };
        await syncFile(this.paths.entryFile(entry.entry));
        await writeJsonDurably(this.paths.snapshotFile(entry.entry), snap);
        await syncDir(this.paths.root);
    }

    async #run(): Promise<void> {
        await mkdir(this.paths.root, { recursive: true });
        while (!this.#closed) {
            if (!this.#ownsLock) this.#ownsLock = await this.#tryLock();
            let waitMs = this.options.pollMs ?? 1000;
            if (this.#ownsLock) {
                const next = await this.#drainOnce();
                waitMs = Math.min(waitMs, next);
            } else {
                await this.#settleForeign();
            }
            if (this.#closed) break;
            if (this.#kicked) {
                this.#kicked = false;
                continue;
            }
            await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, waitMs);
                // Idle polls must not keep a process alive, except while another process (the
                // project server) records epochs this one handed over: nothing else here then
                // runs, and a script awaiting `committed` would exit with the promise unsettled.
                if (this.#ownsLock || !this.#holdsUnsettled()) timer.unref();
                this.#wake = () => {
                    clearTimeout(timer);
                    resolve();
                };
            });
            this.#wake = undefined;
        }
    }

    /** Whether this process holds handles of epochs not settled yet. */
    #holdsUnsettled(): boolean {
        for (const entry of this.#waiters.keys()) if (!this.#settled.has(entry)) return true;
        return false;
    }

    #kick(): void {
        if (this.#wake) this.#wake();
        else this.#kicked = true;
    }

    /** Records every due entry once, oldest first; returns ms until the next retry is due. */
    async #drainOnce(): Promise<number> {
        let next = Infinity;
        const entries = (await Promise.all((await listEntries(this.paths)).map((id) => readJson<EntryFile>(this.paths.entryFile(id)).catch(() => undefined))))
            .filter((entry): entry is EntryFile => entry !== undefined)
            .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
        // Epochs of one run and key are recorded in the order they were accepted: each depends on
        // the one before, so a later one must wait while an earlier one waits for a retry.
        const held = new Set<string>();
        for (const entry of entries) {
            if (this.#closed) break;
            const lane = `${entry.run}\u0000${entry.key}`;
            if (held.has(lane)) continue;
            const attempt = await readJson<AttemptFile>(this.paths.attemptFile(entry.entry));
            const due = attempt === undefined ? 0 : Date.parse(attempt.retryAt) - Date.now();
            if (due > 0) {
                next = Math.min(next, due);
                held.add(lane);
                continue;
            }
            if (this.#snapshots.has(entry.entry)) {
                held.add(lane);
                continue;
            }
            let snap = await readJson<SnapshotFile>(this.paths.snapshotFile(entry.entry));
            if (snap === undefined) {
                // Another live process accepted it and is still copying: give it time.
                if (entry.pid !== process.pid && isAlive(entry.pid) && Date.now() - Date.parse(entry.createdAt) < 120_000) {
                    held.add(lane);
                    continue;
                }
                try {
                    await this.#takeSnapshot(entry);
                    this.#waiters.get(entry.entry)?.snapshotted.resolve();
                } catch (error) {
                    const delay = await this.#attemptFailed(entry, error, attempt);
                    next = Math.min(next, delay);
                    // Given up for good (moved to failed/): the next epoch goes on without it.
                    if (delay !== Infinity) held.add(lane);
                    continue;
                }
                snap = (await readJson<SnapshotFile>(this.paths.snapshotFile(entry.entry))) as SnapshotFile;
            }
            try {
                const result = await recordEntry(this.target, entry, this.paths.snapshot(entry.entry), snap, this.#abort.signal);
                const done: DoneFile = { ...result, committedAt: new Date().toISOString() };
                await mkdir(path.dirname(this.paths.doneFile(entry.entry)), { recursive: true });
                await writeJsonDurably(this.paths.doneFile(entry.entry), done);
                await rm(this.paths.entry(entry.entry), { recursive: true, force: true });
                this.#waiters.get(entry.entry)?.committed.resolve(resultOf(done, result.duplicate));
            } catch (error) {
                if (this.#closed) break;
                const delay = await this.#attemptFailed(entry, error, attempt);
                next = Math.min(next, delay);
                if (delay !== Infinity) held.add(lane);
            }
        }
        return next;
    }

    /** Schedules a retry, or gives up on errors that would repeat; returns ms until the retry. */
    async #attemptFailed(entry: EntryFile, error: unknown, previous: AttemptFile | undefined): Promise<number> {
        const attempts = (previous?.attempts ?? 0) + 1;
        const code = error instanceof TrackerError ? error.code : 'INTERNAL';
        const message = error instanceof Error ? error.message : String(error);
        if (!RETRYABLE.has(code)) {
            await this.#fail(entry, error, attempts);
            return Infinity;
        }
        const base = this.options.retryMs ?? 500;
        const delay = Math.min(this.options.maxRetryMs ?? 30_000, base * 2 ** (attempts - 1)) * (0.75 + Math.random() * 0.5);
        const attempt: AttemptFile = { attempts, error: { code, message }, retryAt: new Date(Date.now() + delay).toISOString() };
        await writeJsonDurably(this.paths.attemptFile(entry.entry), attempt).catch(() => undefined);
        this.options.onAttemptFailed?.({ entry: entry.entry, run: entry.run, key: entry.key, state: 'queued', attempts, error: attempt.error, retryAt: attempt.retryAt });
        return delay;
    }

    async #fail(entry: EntryFile, error: unknown, attempts: number): Promise<void> {
        const code = error instanceof TrackerError ? error.code : 'INTERNAL';
        const message = error instanceof Error ? error.message : String(error);
        await moveToFailed(this.paths, entry.entry, { code, message, attempts, failedAt: new Date().toISOString() }).catch(() => undefined);
        const status: EpochStatus = { entry: entry.entry, run: entry.run, key: entry.key, state: 'failed', attempts, error: { code, message } };
        this.#failedHere.set(entry.entry, status);
        this.options.onAttemptFailed?.(status);
        const waiters = this.#waiters.get(entry.entry);
        const failure = error instanceof TrackerError ? error : new TrackerError('INTERNAL', message, { cause: error });
        waiters?.snapshotted.reject(failure);
        waiters?.committed.reject(failure);
    }

    /** Another process drains: settle this process's handles from the files it writes. */
    async #settleForeign(): Promise<void> {
        for (const [entry, waiters] of this.#waiters) {
            const status = await this.status(entry);
            if (status?.state === 'committed') {
                const done = await readJson<DoneFile>(this.paths.doneFile(entry));
                if (done) waiters.committed.resolve(resultOf(done, done.duplicate));
            } else if (status?.state === 'failed') {
                waiters.committed.reject(new TrackerError((status.error?.code ?? 'INTERNAL') as never, status.error?.message ?? 'failed'));
            }
            if (status?.state !== 'queued') waiters.snapshotted.resolve();
        }
    }

    async #pendingStatuses(): Promise<EpochStatus[]> {
        const statuses = await Promise.all((await listEntries(this.paths)).map((entry) => this.status(entry)));
        return statuses.filter((status): status is EpochStatus => status !== undefined && status.state !== 'committed' && status.state !== 'failed');
    }

    /** Takes drain.lock (O_EXCL); a lock whose process is gone is taken over. */
    async #tryLock(): Promise<boolean> {
        for (let i = 0; i < 2; i++) {
            try {
                const handle = await open(this.paths.lock, 'wx', 0o600);
                await handle.writeFile(`${process.pid}\n`);
                await handle.close();
                return true;
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
            }
            const pid = Number((await readFile(this.paths.lock, 'utf8').catch(() => '')).trim());
            if (pid === process.pid) return true;
            if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid)) return false;
            await unlink(this.paths.lock).catch(() => undefined);
        }
        return false;
    }
}

function resultOf(done: DoneFile, duplicate: boolean): EpochResult {
    return { entry: done.entry, run: done.run, record: done.record, datasets: done.datasets, ...(done.previous !== undefined && { previous: done.previous }), duplicate };
}

interface Deferred<T> {
    promise: Promise<T>;
    resolve(value: T): void;
    reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
    });
    return { promise, resolve, reject };
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

