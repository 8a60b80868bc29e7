/**
 * Everything the CLI prints goes through here: with `--json`, exactly one JSON document on stdout
 * (results and errors alike); otherwise human-readable text, and errors on stderr.
 */
import { ERROR_HINTS, EXIT_CODES, errorDocument, toTrackerError } from '@hyperprov/errors';

/** Where the CLI writes; tests pass in-memory sinks. */
export interface CliIo {
    /** Returns false when the caller should wait for {@link CliIo.drain} before writing more. */
    stdout: (text: string) => boolean | void;
    stderr: (text: string) => void;
    /** Resolves when stdout can take more (backpressure for long listings). */
    drain?: () => Promise<void>;
}

/** How {@link CliOutput.list} renders a listing. */
export interface ListFormat<T> {
    /** JSON fields printed before `items`. */
    head?: Record<string, unknown>;
    /** JSON fields printed after `items`. */
    tail?: Record<string, unknown>;
    /** Human output: one line per item. */
    line: (item: T) => string;
    /** Human output when there are no items. */
    empty: string;
}

export class CliOutput {
    private printed = false;
    /** The error a --json listing already carries in its document (see {@link CliOutput.list}). */
    #embeddedError: unknown;

    constructor(
        readonly json: boolean,
        private readonly io: CliIo,
    ) {}

    /** Prints the command's result: `value` as JSON, or the text `human()` renders. */
    result(value: unknown, human: () => string): void {
        this.once();
        this.io.stdout(this.json ? `${toJson(value)}\n` : `${human()}\n`);
    }

    /**
     * Streams a listing as it is fetched, so memory holds one page, not every record: with --json
     * one document `{...head, "items": [...], ...tail}`, otherwise one line per item. Nothing is
     * printed before the first item arrives, so a listing that fails at once (no such key) prints
     * just the error document; one that fails half-way closes its document with an `error` field
     * (and rethrows, for the exit code), so stdout is still exactly one JSON document.
     */
    async list<T>(items: AsyncIterable<T>, format: ListFormat<T>): Promise<void> {
        const iterator = items[Symbol.asyncIterator]();
        const first = await iterator.next();
        this.once();
        if (!this.json) {
            let count = 0;
            for (let next = first; !next.done; next = await iterator.next()) {
                await this.write(`${format.line(next.value)}\n`);
                count++;
            }
            if (count === 0) await this.write(`${format.empty}\n`);
            return;
        }
        const fields = (record: Record<string, unknown> | undefined): string =>
            Object.entries(record ?? {})
                .map(([key, value]) => `  ${JSON.stringify(key)}: ${indent(toJson(value), 2)}`)
                .join(',\n');
        const head = fields(format.head);
        await this.write(`{\n${head ? `${head},\n` : ''}  "items": [`);
        let empty = true;
        try {
            for (let next = first; !next.done; next = await iterator.next()) {
                await this.write(`${empty ? '\n' : ',\n'}    ${indent(toJson(next.value), 4)}`);
                empty = false;
            }
        } catch (error) {
            this.#embeddedError = error;
            await this.write(`${empty ? '' : '\n  '}],\n${fields({ error: errorDocument(error).error })}\n}\n`);
            throw error;
        }
        const tail = fields(format.tail);
        await this.write(`${empty ? '' : '\n  '}]${tail ? `,\n${tail}` : ''}\n}\n`);
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
            if (!this.printed) {
                this.printed = true;
                this.io.stdout(`${toJson(errorDocument(trackerError))}\n`);
            } else if (this.#embeddedError !== error) {
                // The result was printed, then something failed (a bug: results come last):
                // a second document would break the one-document promise, so use stderr.
                this.io.stderr(`error [${trackerError.code}]: ${trackerError.message}\n`);
            }
        } else {
            this.io.stderr(`error [${trackerError.code}]: ${trackerError.message}\nhint: ${hint}\n`);
        }
        if (process.env.HYPERPROV_DEBUG && error instanceof Error) this.io.stderr(`${formatCauses(error)}\n`);
        return exitCode;
    }

    private async write(text: string): Promise<void> {
        if (this.io.stdout(text) === false && this.io.drain) await this.io.drain();
    }

    private once(): void {
        if (this.printed && this.json) throw new Error('bug: a --json command printed two documents');
        this.printed = true;
    }
}

/** JSON with bigint as decimal strings (block numbers). */
export function toJson(value: unknown): string {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

function indent(text: string, spaces: number): string {
    return text.replace(/\n/g, `\n${' '.repeat(spaces)}`);
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
