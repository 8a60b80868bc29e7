/**
 * The abort check that submit, simulation and evaluate make before doing anything, kept in one
 * place so every path refuses an aborted signal with the same error.
 */
import { TrackerError } from '@hyperprov/errors';

/** Throws ABORTED if `signal` is already aborted: nothing has been submitted yet. */
export function checkAborted(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new TrackerError('ABORTED', 'the operation was aborted before anything was submitted', { cause: signal.reason });
}
