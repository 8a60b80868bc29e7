/**
 * Everything the CLI prints goes through here: with `--json`, exactly one JSON document on stdout
 * (results and errors alike); otherwise human-readable text, and errors on stderr.
 */
import { TrackerError, type TrackerErrorCode } from '../errors.js';
import { ERROR_HINTS, EXIT_CODES } from './exit-codes.js';

/** Where the CLI writes; tests pass in-memory sinks. */
export interface CliIo {
    stdout: (text: string) => void;
    stderr: (text: string) => void;
}

/** The error document printed with `--json`. */
export interface JsonErrorDocument {
    error: { code: TrackerErrorCode; message: string; hint: string; exitCode: number };
}

export class CliOutput {
    private printed = false;

    constructor(
        readonly json: boolean,
        private readonly io: CliIo,
    ) {}

    /** Prints the command's result: `value` as JSON, or the text `human()` renders. */
    result(value: unknown, human: () => string): void {
        this.once();
        this.io.stdout(this.json ? `${toJson(value)}\n` : `${human()}\n`);
    }

    /** Progress or notes for humans; silent with --json so stdout stays one document. */
    note(text: string): void {
        if (!this.json) this.io.stderr(`${text}\n`);
    }

    /** Prints an error and returns the exit code for it. */
    error(error: unknown): number {
        const trackerError = toTrackerError(error);
        const exitCode = EXIT_CODES[trackerError.code];
        const hint = ERROR_HINTS[trackerError.code];
        if (this.json) {
            // One document even if a partial result was printed before the failure is impossible:
            // results are printed only at the very end of a command.
            if (!this.printed) {
                const doc: JsonErrorDocument = { error: { code: trackerError.code, message: trackerError.message, hint, exitCode } };
                this.io.stdout(`${toJson(doc)}\n`);
            }
        } else {
            this.io.stderr(`error [${trackerError.code}]: ${trackerError.message}\nhint: ${hint}\n`);
        }
        if (process.env.HYPERPROV_DEBUG && error instanceof Error) this.io.stderr(`${formatCauses(error)}\n`);
        return exitCode;
    }

    private once(): void {
        if (this.printed && this.json) throw new Error('bug: a --json command printed two documents');
        this.printed = true;
    }
}

/** Anything thrown becomes a TrackerError; unknown errors are INTERNAL, keeping the original as cause. */
export function toTrackerError(error: unknown): TrackerError {
    if (error instanceof TrackerError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new TrackerError('INTERNAL', `unexpected error: ${message}`, { cause: error });
}

/** JSON with bigint as decimal strings (block numbers). */
export function toJson(value: unknown): string {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

function formatCauses(error: Error): string {
    const parts: string[] = [];
    let current: unknown = error;
    while (current instanceof Error) {
        parts.push(current.stack ?? current.message);
        current = current.cause;
    }
    return parts.join('\ncaused by: ');
}
