/**
 * Where `hyperprov watch` sends checkpoints: the one place that chooses the {@link EpochSink}.
 * When a project server runs (`hyperprov serve`) and answers, it is the server
 * (`connectServer` of `@hyperprov/server/client`): the server's outbox records the entries and
 * every other command keeps going through the server. Otherwise it is the project's own
 * tracker, in this process (its outbox records the entries, and the ones a crash left behind).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { EpochHandle, EpochSink, OpenTrackerOptions, Tracker } from '@hyperprov/tracker';
import type { CliContext, GlobalArgs } from './context.js';

/** An open sink and how to let go of it. */
export interface WatchSink {
    sink: EpochSink;
    projectDir: string;
    /** The run id every checkpoint gets (given, or made once here so that reopening the tracker keeps it). */
    run: string;
    /** `tracker`: in this process; `server`: the project server. */
    via: 'tracker' | 'server';
    close(): Promise<void>;
}

/** Options of {@link openWatchSink}. */
export interface WatchSinkOptions {
    run?: string;
    onAttemptFailed?: (message: string) => void;
    /** How long the tracker stays open with nothing to do before it lets go of the project (ms); default 3000. */
    idleCloseMs?: number;
}

/** Opens the sink for the project at --dir (or the working directory). */
export async function openWatchSink(ctx: CliContext, argv: GlobalArgs, options: WatchSinkOptions = {}): Promise<WatchSink> {
    const run = options.run ?? makeRunId();
    // ── The sink choice: the project server when one runs and answers, else the tracker here. ──
    const server = await openServerSink(path.resolve(ctx.cwd, argv.dir ?? '.'));
    if (server) return { sink: server.sink, projectDir: server.projectDir, run, via: 'server', close: async () => undefined };
    const { openTracker } = await import('@hyperprov/tracker');
    const trackerOptions: OpenTrackerOptions = {
        dir: argv.dir ?? ctx.cwd,
        shareLedger: true,
        // Entries a killed watcher left in the outbox are recorded now, even if their files were rotated away since.
        drainOutbox: true,
        // The watcher drains within --drain-timeout before closing; closing must not wait again
        // (what is left stays in the outbox, listed by the watch command).
        epochCloseTimeoutMs: 0,
        hashThreads: 2,
        run,
        ...(options.onAttemptFailed && {
            onEpochAttemptFailed: (status) => options.onAttemptFailed?.(`epoch ${status.entry} (${status.key}): attempt ${status.attempts} failed: [${status.error?.code}] ${status.error?.message}`),
        }),
    };
    const releasing = idleReleasingTracker(() => openTracker(trackerOptions), options.idleCloseMs ?? 3000);
    // Opened now: a wrong --dir fails at once, and the outbox's leftovers start recording.
    const projectDir = await releasing.use(async (tracker) => tracker.projectDir);
    return { sink: releasing.sink, projectDir, run, via: 'tracker', close: releasing.close };
}

/**
 * The tracker as an EpochSink that closes the tracker once it has been idle for `idleMs` with an
 * empty outbox, and opens it again for the next checkpoint. Without a project server, an open
 * embedded ledger serves this process alone: a watcher holding it through hours of training
 * would make every other command (`hyperprov history` in another terminal) wait and fail. Idle,
 * it also stops the outbox's poll, so a waiting watcher uses no CPU.
 */
export function idleReleasingTracker(open: () => Promise<Tracker>, idleMs: number): { sink: EpochSink; use: <T>(fn: (tracker: Tracker) => Promise<T>) => Promise<T>; close: () => Promise<void> } {
    let current: Promise<Tracker> | undefined;
    let closing: Promise<void> | undefined;
    let closed = false;
    /** Calls in progress plus handed-over epochs not settled yet: while any, the tracker stays open. */
    let busy = 0;
    let timer: NodeJS.Timeout | undefined;

    const acquire = async (): Promise<Tracker> => {
        clearTimeout(timer);
        busy++;
        try {
            while (closing) await closing;
            current ??= open();
            return await current;
        } catch (error) {
            current = undefined;
            busy--;
            throw error;
        }
    };
    const done = (): void => {
        busy--;
        if (busy === 0 && !closed) {
            clearTimeout(timer);
            timer = setTimeout(() => void releaseIfIdle(), idleMs);
        }
    };
    const releaseIfIdle = async (): Promise<void> => {
        if (busy > 0 || !current || closing || closed) return;
        const opened = current;
        const tracker = await opened;
        // Entries still retrying (a store outage) keep it open: they are recorded by this process.
        const flushed = await tracker.flush({ timeoutMs: 0 }).catch(() => ({ done: false }));
        if (busy > 0 || current !== opened) return;
        if (!flushed.done) {
            timer = setTimeout(() => void releaseIfIdle(), idleMs);
            return;
        }
        current = undefined;
        closing = tracker.close().catch(() => undefined).finally(() => (closing = undefined));
    };
    const use = async <T>(fn: (tracker: Tracker) => Promise<T>): Promise<T> => {
        const tracker = await acquire();
        try {
            return await fn(tracker);
        } finally {
            done();
        }
    };
    const sink: EpochSink = {
        epoch: (input) =>
            use(async (tracker) => {
                const handle: EpochHandle = await tracker.epoch(input);
                // Until it commits (or fails for good), this tracker's outbox is what records it.
                busy++;
                handle.committed.then(done, done);
                return handle;
            }),
        // Released means the outbox was empty then: nothing to open the project again for.
        flush: async (options) => (current || closing ? use((tracker) => tracker.flush(options)) : { done: true, pending: [], failed: [] }),
        dataset: (dir, key) =>
            use(async (tracker) => {
                const result = await tracker.recordDataset(dir, { key });
                return { id: result.record.id, status: result.status };
            }),
        byChecksum: (checksum) => use((tracker) => tracker.client.getByChecksum(checksum)),
    };
    return {
        sink,
        use,
        close: async () => {
            closed = true;
            clearTimeout(timer);
            while (closing) await closing;
            const opened = current;
            current = undefined;
            if (opened) await (await opened.catch(() => undefined))?.close();
        },
    };
}

/**
 * The project server's sink, when a server runs for the project of `start` and answers its
 * health check (a server.json left by a process that hangs, or whose pid was reused, does not
 * count). HYPERPROV_NO_SERVER set: never, as for every other command.
 */
async function openServerSink(start: string): Promise<{ sink: EpochSink; projectDir: string } | undefined> {
    const { NO_SERVER_ENV } = await import('./forward.js');
    if (process.env[NO_SERVER_ENV]) return undefined;
    const { connectServer, findProjectRoot, findServer, serverRequest } = await import('@hyperprov/server/client');
    const projectDir = findProjectRoot(start);
    const server = projectDir === undefined ? undefined : findServer(projectDir);
    if (projectDir === undefined || !server) return undefined;
    try {
        const health = await serverRequest(server, '/v1/health', { timeoutMs: 5000 });
        if (health.status !== 200) return undefined;
    } catch {
        return undefined;
    }
    return { sink: connectServer(projectDir), projectDir };
}

/** A run id as the tracker makes them (`run-<UTC time>-<4 hex>`), made once per watch so every reopen of the tracker keeps it. */
function makeRunId(now = new Date()): string {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    return `run-${stamp}-${randomBytes(2).toString('hex')}`;
}
