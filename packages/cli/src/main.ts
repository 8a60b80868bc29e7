#!/usr/bin/env node
/** Entry point of the `hyperprov` binary. */
import { ERROR_HINTS, EXIT_CODES } from '@hyperprov/errors';
import { forwardToServer } from './forward.js';

// A reader that stops early (`hyperprov range "" "" --all | head`) closes the pipe: stop quietly.
// Unhandled, the EPIPE becomes an uncaught exception that the contract library's logger tries to
// print to the same closed stdout, forever. Any other failure to write stdout (a full disk behind
// `> file`, a device error) is the user's environment, not a bug: say so on stderr, exit IO_ERROR.
// A terminal that hung up (closed ssh session, closed window) makes every write fail with EIO,
// the progress bar's first: the output is lost anyway, and the command must go on to clean up
// after the SIGHUP below instead of exiting with its temp files in place.
let outputFailed = false;
const outputFailure = (error: NodeJS.ErrnoException | null | undefined): void => {
    if (error?.code === 'EPIPE') process.exit(0);
    if (error?.code === 'EIO') return;
    if (outputFailed) return;
    outputFailed = true;
    const reason = error ? `${error.code ?? 'error'}: ${error.message.replace(/^\w+: /, '').replace(/, write$/, '')}` : 'the stream was closed';
    const message = `cannot write to standard output (${reason})`;
    process.stderr.write(`error [IO_ERROR]: ${message}\nhint: ${ERROR_HINTS.IO_ERROR}\n`, () => process.exit(EXIT_CODES.IO_ERROR));
};
process.stdout.on('error', outputFailure);
process.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EIO') return;
    // Nowhere left to report anything: the exit code has to say it.
    process.exit(error.code === 'EPIPE' ? 0 : EXIT_CODES.IO_ERROR);
});

// fabric-contract-api (loaded with the embedded ledger's contract) installs process-wide handlers
// that log an uncaught exception and carry on, so a crash would end with exit code 0. Ours run
// first and end the process with INTERNAL's exit code.
const crash = (error: unknown): void => {
    const message = error instanceof Error ? (process.env.HYPERPROV_DEBUG ? (error.stack ?? error.message) : error.message) : String(error);
    process.stderr.write(`error [INTERNAL]: unexpected failure: ${message}\nhint: ${ERROR_HINTS.INTERNAL}\n`);
    process.exit(EXIT_CODES.INTERNAL);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

// First Ctrl-C (or SIGTERM, or SIGHUP when the terminal goes away): abort the command so it
// cleans up (temp files, uploads) and exits with ABORTED. Unhandled, SIGHUP would kill the process
// with a half-written temp file left for the next command to sweep. A second signal exits at once;
// stores and the ledger are crash-safe by design.
const controller = new AbortController();
const interrupt = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error('interrupted'));
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);
process.on('SIGHUP', interrupt);

const args = process.argv.slice(2);
// A running project server takes the command (fast: nothing below is loaded); otherwise, or when
// it cannot be reached, the command runs here. run.js and everything it loads come only then.
const code = (await forwardToServer(args, controller.signal)) ?? (await (await import('./run.js')).runCli(args, { signal: controller.signal }));
// Exit explicitly once stdout and stderr are flushed: a library handle left open must never make
// the CLI hang after it has answered.
// A failed write sets `errored` at once, before its 'error' event; an empty flush is skipped when
// nothing is pending, because a zero-byte write still fails on a full device and a command that
// printed nothing on stdout has not failed to print.
const finish = (): void => void process.stderr.write('', () => process.exit(code));
if (process.stdout.errored) outputFailure(process.stdout.errored as NodeJS.ErrnoException);
else if (process.stdout.writableLength === 0) finish();
else {
    process.stdout.write('', (error) => {
        if (error || outputFailed) return outputFailure(error);
        finish();
    });
}
