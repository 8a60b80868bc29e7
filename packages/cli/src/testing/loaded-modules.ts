/**
 * Which files a `hyperprov` run loads (tests, and bench/cold-start.mjs through
 * `@hyperprov/cli/testing`). ESM files are seen through a module loader
 * hook, CommonJS ones (Fabric's libraries are CommonJS) from Node's module cache at exit.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI_MAIN } from './cli-process.js';

/**
 * Runs `script` (by default the built CLI) with `args` in `cwd` and returns its exit code and the
 * file URLs it loaded, without the probe's own files.
 */
export function loadedModules(args: readonly string[], cwd: string, script: string = CLI_MAIN): { code: number | null; files: string[] } {
    const scratch = mkdtempSync(path.join(tmpdir(), 'hp-loaded-'));
    try {
        const list = path.join(scratch, 'loaded.txt');
        const hooks = path.join(scratch, 'hooks.mjs');
        const preload = path.join(scratch, 'preload.mjs');
        writeFileSync(
            hooks,
            `import { appendFileSync } from 'node:fs';\n` +
                `export async function load(url, context, next) {\n  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(list)}, url + '\\n');\n  return next(url, context);\n}\n`,
        );
        writeFileSync(
            preload,
            `import { register, createRequire } from 'node:module';\nimport { appendFileSync } from 'node:fs';\n` +
                `register(${JSON.stringify(pathToFileURL(hooks).href)});\n` +
                `const Module = createRequire(import.meta.url)('node:module');\n` +
                `process.on('exit', () => appendFileSync(${JSON.stringify(list)}, Object.keys(Module._cache).map((f) => 'file://' + f + '\\n').join('')));\n`,
        );
        writeFileSync(list, '');
        const run = spawnSync(process.execPath, ['--import', pathToFileURL(preload).href, script, ...args], { cwd, encoding: 'utf8' });
        const scratchUrl = pathToFileURL(scratch).href;
        const files = [...new Set(readFileSync(list, 'utf8').split('\n').filter((u) => u !== '' && !u.startsWith(scratchUrl)))];
        return { code: run.status, files };
    } finally {
        rmSync(scratch, { recursive: true, force: true });
    }
}

/** Files of Hyperledger Fabric's libraries among `files`. */
export function fabricFiles(files: readonly string[]): string[] {
    return files.filter((f) => /\/node_modules\/(fabric-contract-api|fabric-shim|fabric-shim-api|@hyperledger)\//.test(f));
}
