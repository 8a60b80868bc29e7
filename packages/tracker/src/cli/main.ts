#!/usr/bin/env node
/** Entry point of the `hyperprov` binary. */
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2));
// Exit explicitly once stdout and stderr are flushed: a library handle left open must never make
// the CLI hang after it has answered.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
