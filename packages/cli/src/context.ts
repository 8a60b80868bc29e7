/**
 * What every command handler shares: the parsed global options, the output, and a way to open the
 * project's tracker. The tracker module (ledger, stores, contract) is imported only when a command
 * runs, so `--help` and argument errors stay fast.
 */
import { readFile } from 'node:fs/promises';
import type { JsonValue } from '@hyperprov/chaincode/protocol';
import { TrackerError } from '@hyperprov/errors';
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
        ctx.exitCode = out.error(error);
    }
}

/** Opens the tracker of the project at --dir (or the working directory), runs `body`, closes it. */
export async function withTracker<T>(
    ctx: CliContext,
    argv: GlobalArgs,
    body: (tracker: Tracker) => Promise<T>,
    options: { hashThreads?: number } = { hashThreads: 1 },
): Promise<T> {
    const { openTracker } = await import('@hyperprov/tracker');
    // By default one file per command: one hash thread is enough and starts faster. The ledger is
    // let go while bytes move, so a long upload does not lock other commands out.
    const tracker = await openTracker({
        dir: argv.dir ?? ctx.cwd,
        shareLedger: true,
        // A queued command says whom it waits for instead of sitting silent (stdout stays one JSON document).
        ...(!argv.json && { onLedgerWait: (message: string) => ctx.io.stderr(`${message}\n`) }),
        ...(options.hashThreads !== undefined && { hashThreads: options.hashThreads }),
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
            text = file === '-' ? await ctx.readStdin() : await readFile(file, 'utf8');
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
