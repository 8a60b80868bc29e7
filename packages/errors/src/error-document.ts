/**
 * The JSON error document every surface prints: the CLI with `--json`, the project server in
 * every error response. `{ error: { code, message, hint, exitCode } }`, built in one place.
 */
import { ERROR_HINTS, EXIT_CODES } from './error-tables.js';
import { TrackerError, type TrackerErrorCode } from './tracker-error.js';

/** The error document printed with `--json` and sent by the server. */
export interface ErrorDocument {
    error: { code: TrackerErrorCode; message: string; hint: string; exitCode: number };
}

/** Anything thrown becomes a TrackerError; unknown errors are INTERNAL, keeping the original as cause. */
export function toTrackerError(error: unknown): TrackerError {
    if (error instanceof TrackerError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new TrackerError('INTERNAL', `unexpected error: ${message}`, { cause: error });
}

/** The error document for anything thrown. */
export function errorDocument(error: unknown): ErrorDocument {
    const { code, message } = toTrackerError(error);
    return { error: { code, message, hint: ERROR_HINTS[code], exitCode: EXIT_CODES[code] } };
}

/** Reads an error document back into a TrackerError (server client side); undefined when it is not one. */
export function fromErrorDocument(value: unknown): TrackerError | undefined {
    const error = (value as Partial<ErrorDocument> | null)?.error;
    if (!error || typeof error.code !== 'string' || typeof error.message !== 'string' || !(error.code in EXIT_CODES)) return undefined;
    return new TrackerError(error.code, error.message);
}
