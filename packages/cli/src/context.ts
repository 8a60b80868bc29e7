/**
 * What every command handler shares: the parsed global options, the output, and a way to open the
 * project's tracker. The tracker module (ledger, stores, contract) is imported only when a command
 * runs, so `--help` and argument errors stay fast.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { JsonValue } from '@hyperprov/chaincode/protocol';
import { TrackerError } from '@hyperprov/errors';
import { findProjectRoot } from '@hyperprov/server/client';
import type { Tracker } from '@hyperprov/tracker';
import { inexactJsonNumber } from './exact-json-numbers.js';
import { CliOutput, type CliIo } from './output.js';

/** Options every command accepts. */
export interface GlobalArgs {
    json: boolean;
    dir?: string;
}

/** Per-invocation state. */
export interface CliContext {
    io: CliIo;
    cwd: string;
    /** Exit code of the command; set by {@link runCommand}. */
    exitCode: number;
    /** Reads all of stdin (for `--meta @-`). */
    readStdin: () => Promise<string>;
    /** Aborted on Ctrl-C: long commands (record, fetch, verify) stop cleanly, leaving nothing half-written. */
    signal: AbortSignal;
    /**
     * The project server's tracker, when the command runs inside the server (forwarded from
     * another terminal): {@link withTracker} uses it for that project and does not close it.
     */
    tracker?: Tracker;
    /** Whether stderr is a terminal a progress bar may draw on (never for a forwarded command). */
    interactive: boolean;
    /**
     * Paths of this invocation made absolute (see {@link localPath}), each with the text the user
     * typed, so error messages name them as the user did.
     */
    paths?: Map<string, string>;
}

/**
 * A path argument for the tracker, which resolves relative paths against the process's working
 * directory. A forwarded command runs in the server, whose working directory is not the caller's:
 * there the path is made absolute against the caller's. Locally it is passed on as typed.
 */
export function localPath(ctx: CliContext, file: string): string {
    // An empty path stays empty: the tracker refuses it instead of taking it as the directory.
    if (file === '' || path.isAbsolute(file) || path.resolve(ctx.cwd) === process.cwd()) return file;
    const absolute = path.resolve(ctx.cwd, file);
    (ctx.paths ??= new Map()).set(absolute, file);
    return absolute;
}

/** `error` with the paths {@link localPath} made absolute named as typed, so output matches a local run. */
function asTyped(ctx: CliContext, error: unknown): unknown {
    if (!ctx.paths || !(error instanceof TrackerError)) return error;
    let message = error.message;
    for (const [absolute, typed] of ctx.paths) message = message.split(absolute).join(typed);
    if (message === error.message) return error;
    return new TrackerError(error.code, message, { cause: error, ...(error.transactionId !== undefined && { transactionId: error.transactionId }) });
}

/**
 * Runs a command body with a CliOutput for its --json setting, printing any error and setting the
 * exit code. Errors never escape: the parser must not report them as usage errors.
 */
export async function runCommand(ctx: CliContext, argv: GlobalArgs, body: (out: CliOutput) => Promise<number | void>): Promise<void> {
    const out = new CliOutput(argv.json, ctx.io);
    try {
        ctx.exitCode = (await body(out)) ?? 0;
    } catch (error) {
        ctx.exitCode = out.error(asTyped(ctx, error));
    }
}

/** Opens the tracker of the project at --dir (or the working directory), runs `body`, closes it. */
export async function withTracker<T>(
    ctx: CliContext,
    argv: GlobalArgs,
    body: (tracker: Tracker) => Promise<T>,
    options: { hashThreads?: number; epochCloseTimeoutMs?: number } = { hashThreads: 1 },
): Promise<T> {
    // `--dir` is relative to the invocation's working directory (the caller's, for a forwarded command).
    const dir = path.resolve(ctx.cwd, argv.dir ?? '.');
    // The server's tracker serves its own project only: a command for another one opens that as usual.
    if (ctx.tracker && findProjectRoot(dir) === ctx.tracker.projectDir) return body(ctx.tracker);
    const { openTracker } = await import('@hyperprov/tracker');
    // By default one file per command: one hash thread is enough and starts faster. The ledger is
    // let go while bytes move, so a long upload does not lock other commands out.
    const tracker = await openTracker({
        dir,
        shareLedger: true,
        // A queued command says whom it waits for instead of sitting silent (stdout stays one JSON document).
        ...(!argv.json && { onLedgerWait: (message: string) => ctx.io.stderr(`${message}\n`) }),
        ...(options.hashThreads !== undefined && { hashThreads: options.hashThreads }),
        ...(options.epochCloseTimeoutMs !== undefined && { epochCloseTimeoutMs: options.epochCloseTimeoutMs }),
    });
    let result: T;
    try {
        result = await body(tracker);
    } catch (error) {
        await tracker.close().catch(() => undefined);
        throw error;
    }
    await tracker.close();
    return result;
}

/**
 * Parses `--meta`: inline JSON, `@file` to read it from a file (command lines cannot carry large
 * or NUL-containing values), or `@-` for stdin.
 */
export async function parseMetaArg(ctx: CliContext, value: string | undefined, name = '--meta'): Promise<{ [key: string]: JsonValue } | undefined> {
    if (value === undefined) return undefined;
    let text = value;
    let source = name;
    if (value.startsWith('@')) {
        const file = value.slice(1);
        source = file === '-' ? `${name} from stdin` : `${name} file ${file}`;
        try {
            text = file === '-' ? await ctx.readStdin() : await readFile(path.resolve(ctx.cwd, file), 'utf8');
        } catch (error) {
            throw new TrackerError('INVALID_ARGUMENT', `cannot read ${source}: ${(error as Error).message}`, { cause: error });
        }
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        throw new TrackerError('INVALID_ARGUMENT', `${source} is not valid JSON (${(error as Error).message}); pass an object such as '{"epoch": 3}' or @file.json`, {
            cause: error,
        });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new TrackerError('INVALID_ARGUMENT', `${source} must be a JSON object such as '{"epoch": 3}'`);
    }
    const inexact = inexactJsonNumber(text);
    if (inexact !== undefined) throw new TrackerError('INVALID_ARGUMENT', `${source}: ${inexact}`);
    return parsed as { [key: string]: JsonValue };
}

/** The `--dep` values: record ids, or keys meaning their latest version; an empty one is a typo. */
export function parseDepArgs(values: readonly unknown[]): string[] {
    const deps = values.map(String);
    if (deps.includes('')) throw new TrackerError('INVALID_ARGUMENT', '--dep is empty; give a record id, or a key (meaning its latest version)');
    return deps;
}

/** Parses an optional non-negative integer option, naming it in the error. */
export function parseIntegerArg(value: unknown, name: string, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    const text = String(value);
    const n = /^[0-9]{1,15}$/.test(text) ? Number(text) : NaN;
    if (!(n >= min && n <= max)) throw new TrackerError('INVALID_ARGUMENT', `${name} ${JSON.stringify(text)} is invalid; give a whole number from ${min} to ${max}`);
    return n;
}
