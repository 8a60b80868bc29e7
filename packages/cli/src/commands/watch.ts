import path from 'node:path';
import type { CommandSpec } from '../command-spec.js';
import { EXIT_CODES, TrackerError } from '@hyperprov/errors';
import type { WatchEvent, WatchStatus, WatchSummary } from '@hyperprov/watcher';
import { parseIntegerArg, runCommand, type CliContext, type GlobalArgs } from '../context.js';
import { openWatchSink } from '../watch-sink.js';

interface WatchArgs extends GlobalArgs {
    models: string;
    pattern?: string;
    dataset: string[];
    run?: string;
    key?: string;
    settle?: string;
    drainTimeout?: string;
}

/**
 * `hyperprov watch --models DIR [--dataset train=DIR]… [--run R]`: records every finished
 * checkpoint a training script writes into DIR, until Ctrl-C or SIGTERM; then drains within
 * --drain-timeout and exits 0 when everything is committed, else with TIMEOUT's exit code.
 */
export function watchCommand(ctx: CliContext): CommandSpec<WatchArgs> {
    return {
        command: 'watch',
        describe: 'Watch a folder and record each finished checkpoint (file or checkpoint directory) with its datasets, until Ctrl-C',
        options: {
            models: { type: 'string', demandOption: true, describe: 'folder the trainer writes checkpoints into' },
            pattern: { type: 'string', describe: 'glob of names in the folder to take, e.g. "ckpt-*.pt" (default: checkpoint extensions and checkpoint folders)' },
            dataset: { type: 'string', array: true, default: [], describe: 'name=DIR of a dataset the checkpoints depend on; repeatable' },
            run: { type: 'string', describe: 'run id of the checkpoints (default: a new one per start)' },
            key: { type: 'string', describe: 'item name of every checkpoint (default: from the names, e.g. models/ckpt for ckpt-epoch3.pt)' },
            settle: { type: 'string', describe: 'milliseconds a checkpoint must stay unchanged after its last write (default 1000)' },
            'drain-timeout': { type: 'string', describe: 'seconds to wait for pending records at Ctrl-C (default 30)' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const settleMs = parseIntegerArg(argv.settle, '--settle', 0, 3_600_000) ?? 1000;
                const drainMs = (parseIntegerArg(argv.drainTimeout, '--drain-timeout', 0, 86_400) ?? 30) * 1000;
                const datasets = parseDatasetDirs(argv.dataset, ctx.cwd);
                const { createWatcher } = await import('@hyperprov/watcher');
                const display = statusDisplay(ctx, argv.json);
                const opened = await openWatchSink(ctx, argv, {
                    ...(argv.run !== undefined && { run: argv.run }),
                    onAttemptFailed: (message) => display.note(message),
                });
                if (opened.via === 'server') display.note('recording through the project server (`hyperprov serve`)');
                try {
                    const watcher = createWatcher({
                        models: path.resolve(ctx.cwd, argv.models),
                        datasets,
                        root: opened.projectDir,
                        settleMs,
                        sink: opened.sink,
                        ...(argv.pattern !== undefined && { pattern: argv.pattern }),
                        run: opened.run,
                        ...(argv.key !== undefined && { key: argv.key }),
                        onEvent: (event) => display.event(event, watcher.status()),
                    });
                    const stop = new Promise<void>((resolve) => {
                        if (ctx.signal.aborted) resolve();
                        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
                    });
                    try {
                        await Promise.race([watcher.ready, stop]);
                    } catch (error) {
                        await watcher.close({ timeoutMs: 0 });
                        throw error;
                    }
                    await stop;
                    display.note(`stopping: waiting up to ${drainMs / 1000} s for pending records`);
                    const summary = await watcher.close({ timeoutMs: drainMs });
                    display.stopped(summary);
                    return summary.done ? 0 : EXIT_CODES.TIMEOUT;
                } finally {
                    await opened.close();
                }
            }),
    };
}

/** `--dataset train=data/train`: directories only (the watcher watches them). */
function parseDatasetDirs(values: readonly unknown[], cwd: string): { [name: string]: string } {
    const datasets: { [name: string]: string } = {};
    for (const value of values.map(String)) {
        const at = value.indexOf('=');
        if (at <= 0 || at === value.length - 1) throw new TrackerError('INVALID_ARGUMENT', `--dataset ${JSON.stringify(value)} must be name=DIR, e.g. --dataset train=data/train`);
        const name = value.slice(0, at);
        if (name in datasets) throw new TrackerError('INVALID_ARGUMENT', `--dataset ${name} is given twice; give each dataset name once`);
        datasets[name] = path.resolve(cwd, value.slice(at + 1));
    }
    return datasets;
}

/**
 * What the user sees: with --json one JSON event per line on stdout (for scripts); otherwise a
 * line per recorded checkpoint on stdout, notes on stderr, and on a terminal a live status line
 * on stderr, redrawn on events only (no timer: an idle watcher does nothing).
 */
function statusDisplay(ctx: CliContext, json: boolean) {
    const live = !json && process.stderr.isTTY === true;
    let shown = '';
    const clear = (): void => {
        if (shown) ctx.io.stderr('\r\u001b[K');
    };
    const draw = (status: WatchStatus): void => {
        if (!live) return;
        shown = `watching ${status.watching} checkpoint${status.watching === 1 ? '' : 's'}, ${status.recorded} recorded, ${status.pending} pending${status.failed ? `, ${status.failed} failed` : ''}`;
        ctx.io.stderr(`\r${shown}\u001b[K`);
    };
    const line = (text: string, stream: 'stdout' | 'stderr' = 'stdout'): void => {
        clear();
        if (stream === 'stdout') ctx.io.stdout(`${text}\n`);
        else ctx.io.stderr(`${text}\n`);
    };
    return {
        event(event: WatchEvent, status: WatchStatus): void {
            if (json) {
                ctx.io.stdout(`${JSON.stringify(event)}\n`);
                return;
            }
            switch (event.event) {
                case 'ready':
                    line(`watching ${event.models || '.'} (${event.watching} checkpoints there now)${Object.keys(event.datasets).length ? `, datasets ${Object.entries(event.datasets).map(([n, d]) => `${n}=${d}`).join(' ')}` : ''}; Ctrl-C stops`, 'stderr');
                    break;
                case 'recorded':
                    line(`${event.duplicate ? 'already recorded' : 'recorded'} ${event.model} as ${event.key} epoch ${event.epoch}: ${event.id}`);
                    break;
                case 'skipped':
                    line(`skipped ${event.model}: ${event.reason} (${event.id})`);
                    break;
                case 'failed':
                    line(`${event.retrying ? 'will retry' : 'failed'} ${event.model ?? event.dataset ?? ''}: [${event.code}] ${event.message}`, 'stderr');
                    break;
                case 'dataset':
                    if (event.status === 'changed') line(`dataset ${event.name} (${event.dir}) manifested as ${event.key}: ${event.id}`);
                    break;
                case 'queued':
                    break;
            }
            draw(status);
        },
        note(text: string): void {
            if (json) ctx.io.stdout(`${JSON.stringify({ event: 'note', message: text })}\n`);
            else line(text, 'stderr');
        },
        stopped(summary: WatchSummary): void {
            const pending = summary.pendingEntries.map((entry) => ({ entry: entry.entry, key: entry.key, state: entry.state, ...(entry.error && { error: entry.error }) }));
            if (json) {
                ctx.io.stdout(`${JSON.stringify({ event: 'stopped', done: summary.done, recorded: summary.recorded, skipped: summary.skipped, failed: summary.failed, pending, unsent: summary.unsent })}\n`);
                return;
            }
            clear();
            const lines = [`stopped: ${summary.recorded} recorded, ${summary.skipped} skipped, ${summary.failed} failed`];
            for (const entry of pending) lines.push(`  still pending: ${entry.key} (${entry.entry}, ${entry.state})${entry.error ? `: [${entry.error.code}] ${entry.error.message}` : ''}`);
            for (const model of summary.unsent) lines.push(`  not handed over: ${model} (the next start records it)`);
            if (!summary.done) lines.push('pending entries stay in .hyperprov/outbox/ and are recorded at the next start (of the watcher, `hyperprov epoch` or the server)');
            ctx.io.stderr(`${lines.join('\n')}\n`);
        },
    };
}
