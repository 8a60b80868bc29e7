/**
 * Where `hyperprov watch` sends checkpoints: the one place that chooses the {@link EpochSink}.
 * Today it is the project's own tracker, in this process (its outbox records the entries, and
 * the ones a crash left behind, from this process). When the project server lands
 * (`@hyperprov/server/client`), `connectServer(projectDir)` is chosen here instead whenever a
 * server runs for the project, so the watcher and every other command share one ledger owner.
 */
import type { EpochSink, Tracker } from '@hyperprov/tracker';
import type { CliContext, GlobalArgs } from './context.js';

/** An open sink and how to let go of it. */
export interface WatchSink {
    sink: EpochSink;
    projectDir: string;
    /** `tracker`: in this process; `server`: the project server (not built yet). */
    via: 'tracker' | 'server';
    close(): Promise<void>;
}

/** Opens the sink for the project at --dir (or the working directory). */
export async function openWatchSink(ctx: CliContext, argv: GlobalArgs, options: { run?: string; onAttemptFailed?: (message: string) => void } = {}): Promise<WatchSink> {
    // ── The sink choice. With the project server: `if (server is running) return connectServer(projectDir)`. ──
    const { openTracker } = await import('@hyperprov/tracker');
    const tracker = await openTracker({
        dir: argv.dir ?? ctx.cwd,
        // A watcher runs for hours beside other commands (`hyperprov history` while training):
        // it lets go of the embedded ledger between transactions, at a reopen per checkpoint.
        shareLedger: true,
        // Entries a killed watcher left in the outbox are recorded now, even if their files were rotated away since.
        drainOutbox: true,
        hashThreads: 2,
        ...(options.run !== undefined && { run: options.run }),
        ...(options.onAttemptFailed && {
            onEpochAttemptFailed: (status) => options.onAttemptFailed?.(`epoch ${status.entry} (${status.key}): attempt ${status.attempts} failed: [${status.error?.code}] ${status.error?.message}`),
        }),
    });
    return { sink: trackerSink(tracker), projectDir: tracker.projectDir, via: 'tracker', close: () => tracker.close() };
}

/** The tracker as an EpochSink, with the two optional parts the watcher uses. */
export function trackerSink(tracker: Tracker): EpochSink {
    return {
        epoch: (input) => tracker.epoch(input),
        flush: (options) => tracker.flush(options),
        dataset: async (dir, key) => {
            const result = await tracker.recordDataset(dir, { key });
            return { id: result.record.id, status: result.status };
        },
        byChecksum: (checksum) => tracker.client.getByChecksum(checksum),
    };
}
