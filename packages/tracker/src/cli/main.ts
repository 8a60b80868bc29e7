#!/usr/bin/env node
/** Entry point of the `hyperprov` binary. */
import { runCli } from './run.js';

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
