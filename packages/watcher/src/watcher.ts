/**
 * The folder watcher: watches a models folder (and dataset folders) with chokidar's native file
 * system events, decides when a checkpoint is finished, and sends each finished checkpoint once
 * to an {@link EpochSink} (the project's tracker in-process, or the project server). No polling:
 * between events, nothing runs but the few timers of checkpoints still settling.
 *
 * ```ts
 * const watcher = createWatcher({ models: 'out', datasets: { train: 'data/train' }, sink: tracker });
 * await watcher.ready;
 * // … the trainer writes out/epoch1.pt, out/epoch2.pt …
 * const summary = await watcher.close({ timeoutMs: 30_000 });
 * ```
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import picomatch from 'picomatch';
import { TrackerError, isTrackerError } from '@hyperprov/errors';
import type { EpochSink, EpochStatus } from '@hyperprov/tracker';
import { checkFileFormat } from './checkpoint-format.js';
import { checkDirectory, fingerprint, isCheckpointDir, sameFingerprint, type Fingerprint } from './checkpoint-item.js';
import { CHECKPOINT_EXTENSIONS, datasetKey, dirKey, fileKey, isTempName, parseEpoch, stemOf } from './naming.js';

/** Options of {@link createWatcher}. */
export interface WatcherOptions {
    /** The folder the trainer writes checkpoints into (created when missing: the watcher may start first). */
    models: string;
    /**
     * Glob (picomatch) of the names directly in `models` to take, files or checkpoint folders, e.g.
     * `ckpt-*.pt`. Default: files with a checkpoint extension ({@link CHECKPOINT_EXTENSIONS}) and
     * checkpoint folders (`checkpoint-N/`, a folder with a `*.index.json`, `trainer_state.json` or `saved_model.pb`).
     */
    pattern?: string;
    /** Dataset name → directory; each checkpoint depends on their manifests, re-made when they change. */
    datasets?: { [name: string]: string };
    /** Run id of every checkpoint; default the sink's (one per tracker). */
    run?: string;
    /** Item key of every checkpoint; default derived from names (see the README). */
    key?: string;
    /** How long a checkpoint's size and mtime must stay unchanged after its last write (ms); default 1000. */
    settleMs?: number;
    /** How long a dataset folder must be quiet before it is manifested again (ms); default 2000. */
    datasetDebounceMs?: number;
    /** Base of the relative paths in idempotency keys and dataset keys (the project directory); default the working directory. */
    root?: string;
    sink: EpochSink;
    /** Told everything the watcher does, for a status line or `--json` event lines. */
    onEvent?: (event: WatchEvent) => void;
}

/** What the watcher reports; `model` is the checkpoint's path relative to `root`. */
export type WatchEvent =
    | { event: 'ready'; watching: number; models: string; datasets: { [name: string]: string } }
    | { event: 'queued'; model: string; key: string; epoch: number; entry: string; run: string; idempotencyKey: string }
    | { event: 'recorded'; model: string; key: string; epoch: number; entry: string; run: string; id: string; datasets: { [name: string]: string }; previous?: string; duplicate: boolean }
    | { event: 'skipped'; model: string; key: string; reason: string; id: string }
    | { event: 'failed'; model?: string; key?: string; dataset?: string; code: string; message: string; retrying: boolean }
    | { event: 'dataset'; name: string; dir: string; key: string; id?: string; status: 'changed' | 'unchanged' | 'deferred' };

/** Counters for a status line. */
export interface WatchStatus {
    /** Checkpoints (files and checkpoint folders) in the models folder. */
    watching: number;
    /** Committed since start (duplicates of a previous run included). */
    recorded: number;
    /** Sent to the sink and not committed yet, or finished and waiting to be sent. */
    pending: number;
    failed: number;
    /** Not sent: their bytes were already recorded under the same key. */
    skipped: number;
}

/** What {@link Watcher.close} found when it returned. */
export interface WatchSummary extends WatchStatus {
    /** True when everything sent is committed (or failed for good) and nothing finished was left unsent. */
    done: boolean;
    /** Sink entries not committed yet. */
    pendingEntries: EpochStatus[];
    /** Sink entries that gave up. */
    failedEntries: EpochStatus[];
    /** Finished checkpoints not handed to the sink before the timeout (caught by the next start's scan). */
    unsent: string[];
}

export interface Watcher {
    /** Settles once the initial scan is done (files already there are then being settled and sent). */
    readonly ready: Promise<void>;
    status(): WatchStatus;
    /** Stops watching, hands over what is finished, and waits up to `timeoutMs` (default 30 s) for the sink to commit. */
    close(options?: { timeoutMs?: number }): Promise<WatchSummary>;
}

/** One top-level entry of the models folder: a checkpoint file or folder (or a folder that is none). */
interface Item {
    name: string;
    abs: string;
    kind?: 'file' | 'dir' | 'other';
    timer?: NodeJS.Timeout;
    /** When the scheduled check fires (unset once it runs). */
    due?: number;
    checking: boolean;
    again: boolean;
    /** The fingerprint seen last, and since when it has not changed. */
    last?: Fingerprint;
    lastAt: number;
    /** Idempotency keys handed to the sink (or skipped as already recorded): never sent twice by this process. */
    sent: Set<string>;
    /** Back-off of re-checks while format markers say it is incomplete and no event comes. */
    retryMs: number;
    /** Found by the start scan: it may have been recorded by an earlier run, and touched since. */
    fromScan: boolean;
}

/** A finished checkpoint waiting for its turn. */
interface Ready {
    item: Item;
    fp: Fingerprint;
    epoch?: number;
    /** When it was judged finished. */
    readyAt: number;
}

/** Re-checks of an incomplete checkpoint without events: events decide, this only covers a lost one. */
const MIN_RETRY_MS = 10_000;
/** At most this many settle times a finished epoch waits for a lower one of its key that is settling. */
const ORDER_HOLD = 2;
const MAX_RETRY_MS = 300_000;

/** Starts watching; see {@link WatcherOptions}. */
export function createWatcher(options: WatcherOptions): Watcher {
    const settleMs = options.settleMs ?? 1000;
    if (!(Number.isFinite(settleMs) && settleMs >= 0)) throw new TrackerError('INVALID_ARGUMENT', `settleMs ${settleMs} is invalid; give a number of milliseconds ≥ 0`);
    const debounceMs = options.datasetDebounceMs ?? 2000;
    const root = path.resolve(options.root ?? process.cwd());
    const models = path.resolve(root, options.models);
    const datasets = Object.fromEntries(Object.entries(options.datasets ?? {}).map(([name, dir]) => [name, path.resolve(root, dir)]));
    const match = options.pattern !== undefined ? picomatch(options.pattern, { dot: false }) : undefined;
    const { sink } = options;
    /** Set once close() has returned its summary: later settlements (the sink closing) would contradict it. */
    let finished = false;
    const emit = (event: WatchEvent): void => {
        if (finished) return;
        try {
            options.onEvent?.(event);
        } catch {
            // A failing listener (a closed stdout) must not stop the recording.
        }
    };

    const items = new Map<string, Item>();
    const queue = new Map<string, Ready>();
    const datasetQueue: string[] = [];
    const datasetTimers = new Map<string, NodeJS.Timeout>();
    const counters = new Map<string, number>();
    const counts = { recorded: 0, inFlight: 0, failed: 0, skipped: 0 };
    let scanning = true;
    let closing = false;
    let stopped = false;
    let pumping: Promise<void> | undefined;
    let holdTimer: NodeJS.Timeout | undefined;

    const rel = (abs: string): string => path.relative(root, abs).split(path.sep).join('/');
    const idempotencyKey = (item: Item, fp: Fingerprint): string => `watch:${rel(item.abs)}:${fp.size}:${fp.mtimeMs}`;
    const keyOf = (item: Item): string => options.key ?? (item.kind === 'dir' ? dirKey(models) : fileKey(stemOf(item.name, false), models));

    const schedule = (item: Item, delayMs: number): void => {
        if (closing) return;
        clearTimeout(item.timer);
        item.due = Date.now() + Math.max(0, delayMs);
        item.timer = setTimeout(() => void check(item).catch((error) => report({ model: rel(item.abs) }, error, true)), Math.max(0, delayMs));
    };

    const report = (where: { model?: string; key?: string; dataset?: string }, error: unknown, retrying: boolean): void => {
        const code = isTrackerError(error) ? error.code : ((error as NodeJS.ErrnoException)?.code ?? 'INTERNAL');
        emit({ event: 'failed', ...where, code, message: error instanceof Error ? error.message : String(error), retrying });
    };

    const forget = (name: string): void => {
        const item = items.get(name);
        if (item) clearTimeout(item.timer);
        items.delete(name);
        queue.delete(name);
    };

    /** Whether a name directly in the models folder can be a checkpoint (folders are judged by content later). */
    const wanted = (name: string, isDir: boolean): boolean => {
        if (isTempName(name)) return false;
        if (match) return match(name);
        return isDir || CHECKPOINT_EXTENSIONS.includes(path.extname(name).toLowerCase());
    };

    const datasetOf = (abs: string): string | undefined =>
        Object.entries(datasets).find(([, dir]) => abs === dir || abs.startsWith(dir + path.sep))?.[0];

    const onFsEvent = (kind: 'add' | 'addDir' | 'change' | 'unlink' | 'unlinkDir', abs: string): void => {
        if (closing) return;
        const dataset = datasetOf(abs);
        // The initial scan's adds of dataset files are no change; the start manifests them once.
        if (dataset !== undefined) return void (!scanning && scheduleDataset(dataset));
        const relative = path.relative(models, abs);
        if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return;
        const [top = ''] = relative.split(path.sep);
        const nested = relative.includes(path.sep);
        if (!nested && (kind === 'unlink' || kind === 'unlinkDir')) return forget(top);
        if (!wanted(top, nested || kind === 'addDir')) return;
        let item = items.get(top);
        if (!item) {
            item = { name: top, abs: path.join(models, top), checking: false, again: false, lastAt: 0, sent: new Set(), retryMs: MIN_RETRY_MS, fromScan: scanning };
            items.set(top, item);
        }
        // Items found by the initial scan are checked together once it ends (see `ready`).
        if (scanning) return;
        if (item.checking) item.again = true;
        else schedule(item, settleMs);
    };

    /** Settle, format markers, re-check: queues the item once it is finished. */
    const check = async (item: Item): Promise<void> => {
        item.due = undefined;
        if (closing) return;
        if (item.checking) return void (item.again = true);
        item.checking = true;
        try {
            const fp = await fingerprint(item.abs);
            if (!fp) return forget(item.name);
            const isDir = (await stat(item.abs).catch(() => undefined))?.isDirectory() ?? false;
            if (isDir && !(await isCheckpointDir(item.abs))) {
                // Logs, samples…: judged again at its next event (a trainer may write trainer_state.json into it).
                item.kind = 'other';
                return;
            }
            item.kind = isDir ? 'dir' : 'file';
            const now = Date.now();
            if (!sameFingerprint(fp, item.last)) {
                item.last = fp;
                item.lastAt = now;
            }
            // Quiet when nothing was written for settleMs by its own mtimes (works for files found at
            // start), or when this process saw it unchanged that long (covers mtimes in the future).
            const quiet = now - fp.newestMs >= settleMs || now - item.lastAt >= settleMs;
            if (!quiet) return schedule(item, Math.min(settleMs, Math.max(20, fp.newestMs + settleMs - now)));
            if (item.sent.has(idempotencyKey(item, fp))) return;
            const verdict = isDir ? await checkDirectory(item.abs, fp) : await checkFileFormat(item.abs);
            if (!verdict.complete) {
                // Writes to come will send events; this re-check only covers a lost one.
                schedule(item, item.retryMs);
                item.retryMs = Math.min(item.retryMs * 2, MAX_RETRY_MS);
                return;
            }
            // The markers were read after the stat: the bytes must still be the ones judged.
            if (!sameFingerprint(await fingerprint(item.abs), fp)) return schedule(item, settleMs);
            item.retryMs = MIN_RETRY_MS;
            const stem = stemOf(item.name, isDir);
            const epoch = parseEpoch(stem);
            queue.set(item.name, { item, fp, ...(epoch !== undefined && { epoch }), readyAt: Date.now() });
            pump();
        } finally {
            item.checking = false;
            if (item.again) {
                item.again = false;
                schedule(item, settleMs);
            }
        }
    };

    /**
     * How long `next` waits for a lower epoch of its key that is settling right now (two files
     * saved close together settle close together, and either check may finish first), so the
     * lower one goes first and is the other's previous checkpoint. Bounded: a lower epoch that
     * stays unfinished (a writer that stopped) holds the next one back at most ORDER_HOLD settles.
     */
    const orderHold = (next: Ready): number => {
        if (next.epoch === undefined || closing) return 0;
        const left = next.readyAt + ORDER_HOLD * settleMs - Date.now();
        if (left <= 0) return 0;
        const key = keyOf(next.item);
        for (const other of items.values()) {
            if (other === next.item || other.kind === 'other' || queue.has(other.name)) continue;
            const settling = other.checking || (other.due !== undefined && other.due - Date.now() <= settleMs);
            if (!settling || keyOf(other) !== key) continue;
            const epoch = parseEpoch(stemOf(other.name, other.kind === 'dir'));
            if (epoch !== undefined && epoch < next.epoch) return Math.min(left, Math.max(20, settleMs / 4));
        }
        return 0;
    };

    /** One sender at a time: epochs reach the sink in order (datasets first), so "the previous checkpoint" is the previous epoch. */
    const pump = (): void => {
        // Held during the initial scan, so what was found is sent in epoch order, not in scan order.
        if (pumping || stopped || scanning) return;
        pumping = (async () => {
            // Yield first, so `pumping` is set before the finally below can clear it.
            await null;
            try {
                for (;;) {
                    if (stopped) return;
                    const dataset = datasetQueue.shift();
                    if (dataset !== undefined) {
                        await manifest(dataset);
                        continue;
                    }
                    const next = [...queue.values()].sort(
                        (a, b) => (a.epoch ?? Infinity) - (b.epoch ?? Infinity) || a.fp.mtimeMs - b.fp.mtimeMs || a.item.name.localeCompare(b.item.name),
                    )[0];
                    if (!next) return;
                    const holdMs = orderHold(next);
                    if (holdMs > 0) {
                        clearTimeout(holdTimer);
                        holdTimer = setTimeout(pump, holdMs);
                        return;
                    }
                    queue.delete(next.item.name);
                    await send(next).catch((error) => {
                        report({ model: rel(next.item.abs) }, error, true);
                        schedule(next.item, Math.max(settleMs, 1000));
                    });
                }
            } finally {
                pumping = undefined;
            }
        })();
    };

    const send = async ({ item, fp, epoch: parsed }: Ready): Promise<void> => {
        // Re-stat just before handing over: the trainer may have started the next write meanwhile.
        if (!sameFingerprint(await fingerprint(item.abs), fp)) return schedule(item, settleMs);
        const model = rel(item.abs);
        const idem = idempotencyKey(item, fp);
        if (item.sent.has(idem)) return;
        const key = keyOf(item);
        if (sink.byChecksum && item.kind === 'file' && (item.fromScan || item.sent.size > 0)) {
            // Identical bytes under the same key are recorded once: a name saved again unchanged
            // (a "best" model, a touched file), or a file found at start that an earlier run may
            // have recorded. A new name is a new epoch even with equal bytes, and is not hashed
            // here: it goes out without the extra read (the outbox hashes it anyway).
            // Only files: a folder's record checksum is its manifest's, which only the tracker makes.
            const checksum = await sha256File(item.abs);
            if (!sameFingerprint(await fingerprint(item.abs), fp)) return schedule(item, settleMs);
            const same = (await sink.byChecksum(checksum)).find((record) => record.key === key);
            if (same) {
                item.sent.add(idem);
                counts.skipped++;
                emit({ event: 'skipped', model, key, reason: 'these bytes are already recorded under this key', id: same.id });
                return;
            }
        }
        const epoch = parsed ?? counters.get(key) ?? 0;
        if (parsed === undefined) counters.set(key, epoch + 1);
        let handle;
        try {
            handle = await sink.epoch({
                model: item.abs,
                key,
                epoch,
                ...(options.run !== undefined && { run: options.run }),
                ...(Object.keys(datasets).length > 0 && { datasets: { ...datasets } }),
                idempotencyKey: idem,
                expect: { size: fp.size, mtimeMs: fp.mtimeMs },
            });
        } catch (error) {
            if (isTrackerError(error, 'FILE_CHANGED')) return schedule(item, settleMs);
            throw error;
        }
        item.sent.add(idem);
        counts.inFlight++;
        // Its failure is the same as `committed`'s, handled below.
        handle.snapshotted.catch(() => undefined);
        // The sink's key: an idempotency key met before answers with the first entry's.
        emit({ event: 'queued', model, key: handle.key, epoch, entry: handle.entry, run: handle.run, idempotencyKey: idem });
        handle.committed.then(
            (result) => {
                counts.inFlight--;
                counts.recorded++;
                emit({
                    event: 'recorded',
                    model,
                    key: result.record.key ?? key,
                    epoch,
                    entry: result.entry,
                    run: result.run,
                    id: result.record.id,
                    datasets: result.datasets,
                    ...(result.previous !== undefined && { previous: result.previous }),
                    duplicate: result.duplicate,
                });
            },
            (error: unknown) => {
                counts.inFlight--;
                // The bytes changed after they were judged finished: wait for the next settle and send those.
                const changed = isTrackerError(error, 'FILE_CHANGED');
                if (changed) {
                    item.sent.delete(idem);
                    schedule(item, settleMs);
                } else counts.failed++;
                report({ model, key }, error, changed);
            },
        );
    };

    const scheduleDataset = (name: string): void => {
        if (closing) return;
        clearTimeout(datasetTimers.get(name));
        datasetTimers.set(
            name,
            setTimeout(() => {
                datasetTimers.delete(name);
                if (!datasetQueue.includes(name)) datasetQueue.push(name);
                pump();
            }, debounceMs),
        );
    };

    const manifest = async (name: string): Promise<void> => {
        const dir = datasets[name] as string;
        const key = datasetKey(dir, root);
        if (!sink.dataset) {
            // The sink manifests dataset folders itself with the next checkpoint.
            emit({ event: 'dataset', name, dir: rel(dir), key, status: 'deferred' });
            return;
        }
        try {
            const result = await sink.dataset(dir, key);
            emit({ event: 'dataset', name, dir: rel(dir), key, id: result.id, status: result.status });
        } catch (error) {
            // A dataset being rewritten fails its manifest (FILE_CHANGED): its next event brings another try.
            report({ dataset: name, key }, error, true);
        }
    };

    const status = (): WatchStatus => ({
        watching: [...items.values()].filter((item) => item.kind === 'file' || item.kind === 'dir').length,
        recorded: counts.recorded,
        pending: counts.inFlight + queue.size,
        failed: counts.failed,
        skipped: counts.skipped,
    });

    let fsw: FSWatcher | undefined;
    const ready = (async () => {
        for (const [name, dir] of Object.entries(datasets)) {
            const st = await stat(dir).catch(() => undefined);
            if (!st?.isDirectory()) throw new TrackerError('INVALID_ARGUMENT', `dataset ${name}: ${dir} is not a directory`);
        }
        await mkdir(models, { recursive: true });
        fsw = watch([models, ...Object.values(datasets)], {
            persistent: true,
            ignoreInitial: false,
            // A project's own folder, VCS and package folders hold no checkpoints and many files.
            ignored: (p: string) => /(^|[\\/])(\.hyperprov|\.git|node_modules)([\\/]|$)/.test(path.relative(root, p)),
            ignorePermissionErrors: true,
        });
        for (const kind of ['add', 'addDir', 'change', 'unlink', 'unlinkDir'] as const) fsw.on(kind, (p: string) => onFsEvent(kind, path.resolve(p)));
        fsw.on('error', (error) => report({}, error, true));
        await new Promise<void>((resolve) => fsw?.once('ready', () => resolve()));
        // Checked at once: a file whose mtime is older than the settle time finished while the watcher was down.
        await Promise.all([...items.values()].map((item) => check(item).catch((error) => report({ model: rel(item.abs) }, error, true))));
        scanning = false;
        // The checkpoints' datasets as they are now: later checkpoints depend on the newest manifest.
        for (const name of Object.keys(datasets)) datasetQueue.push(name);
        pump();
        emit({ event: 'ready', watching: status().watching, models: rel(models), datasets: Object.fromEntries(Object.entries(datasets).map(([n, d]) => [n, rel(d)])) });
    })();
    // close() reports a failed start; an unobserved rejection must not crash the process first.
    ready.catch(() => undefined);

    return {
        ready,
        status,
        close: async ({ timeoutMs = 30_000 } = {}) => {
            const deadline = Date.now() + timeoutMs;
            closing = true;
            await ready.catch(() => undefined);
            await fsw?.close();
            for (const item of items.values()) clearTimeout(item.timer);
            clearTimeout(holdTimer);
            // Anything held back for ordering goes now (closing holds nothing).
            pump();
            for (const timer of datasetTimers.values()) clearTimeout(timer);
            // Finished checkpoints still queued are handed over (each epoch() only writes its outbox entry).
            const left = (): number => Math.max(0, deadline - Date.now());
            while (pumping && left() > 0) await Promise.race([pumping, sleep(left())]);
            stopped = true;
            const flush = await sink.flush({ timeoutMs: left() });
            // Commit callbacks run after flush's own; let them count.
            await new Promise((resolve) => setImmediate(resolve));
            const unsent = [...queue.values()].map((ready) => rel(ready.item.abs));
            finished = true;
            return { ...status(), done: flush.done && unsent.length === 0, pendingEntries: flush.pending, failedEntries: flush.failed, unsent };
        },
    };
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `sha256:<hex>` of a file, streamed (checkpoints are large). */
async function sha256File(file: string): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
    return `sha256:${hash.digest('hex')}`;
}
