#!/usr/bin/env node
/** Entry point of the `hyperprov-network` binary. */
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2));
