/**
 * Runs a short-lived program (cryptogen, configtxgen, the peer CLI, go build) and collects its
 * output. Failures carry the command and the tail of its output, which is where Fabric says why.
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
    env: NodeJS.ProcessEnv;
    cwd?: string;
    /** Kill the program after this long (default: no limit). */
    timeoutMs?: number;
    /** Called with every chunk of stderr (the go build progress passes it through). */
    onStderr?: (text: string) => void;
}

export interface RunResult {
    stdout: string;
    stderr: string;
}

/** A program that ran and failed; `output` is the tail of what it printed. */
export class CommandError extends Error {
    constructor(
        readonly command: string,
        readonly exit: number | string,
        readonly output: string,
    ) {
        super(`${command} failed (${exit}): ${output}`);
        this.name = 'CommandError';
    }
}

export function runCommand(program: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(program, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
        child.stderr.setEncoding('utf8').on('data', (text: string) => {
            stderr += text;
            options.onStderr?.(text);
        });
        const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
        child.once('error', (error) => {
            clearTimeout(timer);
            reject(error);
        });
        child.once('close', (code, signal) => {
            clearTimeout(timer);
            if (code === 0) resolve({ stdout, stderr });
            else {
                const name = [program.split('/').pop(), ...args.slice(0, 3)].join(' ');
                const output = `${stdout}\n${stderr}`.trim();
                // Fabric's CLIs log a lot before the one line that says what failed: keep that line.
                const errors = output.split('\n').filter((line) => /\bError:|\bERRO\b|\bFATA\b/.test(line)).join('\n').slice(0, 2000);
                reject(new CommandError(name, code ?? signal ?? 'unknown', `${errors ? `${errors}\n…\n` : ''}${output.slice(-3000)}`));
            }
        });
    });
}
