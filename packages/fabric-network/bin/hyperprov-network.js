#!/usr/bin/env node
// Committed launcher for the `hyperprov-network` bin: npm links bins at install time, before dist/
// is built, and skips a bin whose file does not exist yet. The CLI itself is dist/cli/main.js.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
    process.stderr.write('hyperprov-network is not built yet: run `npm run build` in the HyperProv checkout first\n');
    process.exit(70);
}
await import(main.href);
