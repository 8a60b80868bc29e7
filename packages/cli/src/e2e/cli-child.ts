/**
 * The `hyperprov` CLI as a child process the test can signal while it runs (runHyperprov in
 * ../cli/testing only resolves once the child has exited).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI_MAIN } from '../testing/cli-process.js';

/** How a child ended. */
export interface ChildExit {
    /** Exit code, or null when a signal ended it. */
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    /** Wall time in ms. */
    ms: number;
    /** stdout parsed as the one JSON document `--json` promises. */
    json: <T = any>() => T;
}

/** A running `hyperprov` command. */
export interface RunningCli {
    readonly child: ChildProcess;
    /** True until the child has exited. */
    running(): boolean;
    /** Resolves when the child has exited (never rejects on a failure exit). */
    readonly exited: Promise<ChildExit>;
}

/**
 * Starts `hyperprov <args>` in `cwd` with `env` added to this process's environment; `wrapper`
 * (e.g. `['strace', '-f', …]`) runs node under another program.
 */
export function startHyperprov(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; wrapper?: readonly string[] }): RunningCli {
    const started = performance.now();
    const command = [...(options.wrapper ?? []), process.execPath, CLI_MAIN, ...args];
    const child = spawn(command[0]!, command.slice(1), {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    let done = false;
    const exited = new Promise<ChildExit>((resolve, reject) => {
        child.once('error', reject);
        // 'close' (not 'exit'): the pipes are drained by then.
        child.once('close', (code, signal) => {
            done = true;
            resolve({ code, signal, stdout, stderr, ms: performance.now() - started, json: () => JSON.parse(stdout) });
        });
    });
    return { child, running: () => !done && child.exitCode === null && child.signalCode === null, exited };
}

/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined, and returns it.
 * Fails if the child exits first (the window to act in was missed) or after `timeoutMs`.
 */
export async function whileRunning<T>(
    cli: RunningCli,
    probe: () => Promise<T | undefined>,
    what: string,
    { intervalMs = 10, timeoutMs = 120_000 } = {},
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (!cli.running()) {
            const exit = await cli.exited;
            throw new Error(`hyperprov exited (${exit.code ?? exit.signal}) before ${what}: ${exit.stdout}${exit.stderr}`);
        }
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}
