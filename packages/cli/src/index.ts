/**
 * @hyperprov/cli: the `hyperprov` command line. The binary is `bin/hyperprov.js`; {@link runCli}
 * runs the same commands in-process (it returns the exit code instead of exiting).
 */
import { fileURLToPath } from 'node:url';

export { runCli, type RunCliOptions } from './run.js';
export type { CliIo } from './output.js';

/** Path of the `hyperprov` launcher, for scripts that run the CLI as a child process (demo, benches). */
export const HYPERPROV_BIN: string = fileURLToPath(new URL('../bin/hyperprov.js', import.meta.url));
