#!/usr/bin/env node
/** Entry point of the `hyperprov` binary. */
import { ERROR_HINTS, EXIT_CODES } from '@hyperprov/errors';
import { runCli } from './run.js';

// A reader that stops early (`hyperprov range "" "" --all | head`) closes the pipe: stop quietly.
// Unhandled, the EPIPE becomes an uncaught exception that the contract library's logger tries to
// print to the same closed stdout, forever.
for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') process.exit(0);
        throw error;
    });
}

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

// First Ctrl-C (or SIGTERM): abort the command so it cleans up (temp files, uploads) and exits
// with ABORTED. A second one exits at once; stores and the ledger are crash-safe by design.
const controller = new AbortController();
const interrupt = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error('interrupted'));
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

const code = await runCli(process.argv.slice(2), { signal: controller.signal });
// Exit explicitly once stdout and stderr are flushed: a library handle left open must never make
// the CLI hang after it has answered.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
