/**
 * Test helpers (not part of the public API): run the built `hyperprov` binary as a real child
 * process, the way a user meets it. Makes sure dist/ is built from the current sources first.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI entry point. */
export const CLI_MAIN = path.join(packageDir, 'dist', 'main.js');

/** Result of one CLI run. */
export interface CliRun {
    code: number;
    stdout: string;
    stderr: string;
    /** stdout parsed as the one JSON document `--json` promises (throws if it is not exactly one). */
    json: <T = any>() => T;
    /** Wall time in ms. */
    ms: number;
}

/**
 * Builds the package (tsc) when dist/main.js is missing or older than any source file; the
 * build runs under a file lock so parallel test files do not build at the same time.
 */
export function ensureCliBuilt(): void {
    const newest = newestSource(path.join(packageDir, 'src'));
    if (existsSync(CLI_MAIN) && statSync(CLI_MAIN).mtimeMs >= newest) return;
    // Checked again under the lock: another test file may have built it while this one waited.
    // tsc emits even with type errors (e.g. in a file someone is editing); the tests then say
    // whether the emitted code works, and `npm run lint` reports the type errors.
    const script = `[ -f dist/main.js ] && [ "$(stat -c %Y dist/main.js)" -gt ${Math.ceil(newest / 1000)} ] || npx tsc -p tsconfig.build.json || echo 'tsc reported errors (above); testing the code it emitted' >&2`;
    execFileSync('flock', ['/tmp/hyperprov-cli-build.lock', 'sh', '-c', script], { cwd: packageDir, stdio: 'inherit' });
}

function newestSource(dir: string): number {
    let newest = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
    }
    return newest;
}

/** Runs `hyperprov <args>` in `cwd`; never rejects on a non-zero exit. */
export function runHyperprov(args: readonly string[], options: { cwd: string; input?: string; env?: NodeJS.ProcessEnv }): Promise<CliRun> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
        const child = execFile(
            process.execPath,
            [CLI_MAIN, ...args],
            { cwd: options.cwd, env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
            (error, stdout, stderr) => {
                const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
                if (error && typeof error.code !== 'number') return reject(error);
                resolve({
                    code,
                    stdout,
                    stderr,
                    ms: performance.now() - started,
                    json: () => JSON.parse(stdout),
                });
            },
        );
        if (options.input !== undefined) child.stdin?.end(options.input);
        else child.stdin?.end();
    });
}

