// Child processes for the baselines (cp, sync, dvc).
import { spawn } from 'node:child_process';

/** Runs a command to completion; rejects with the tail of its output on a non-zero exit. */
export function run(command, args, options = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
        let output = '';
        const keep = (chunk) => (output = (output + chunk).slice(-8000));
        child.stdout.setEncoding('utf8').on('data', keep);
        child.stderr.setEncoding('utf8').on('data', keep);
        child.once('error', reject);
        child.once('exit', (code, signal) =>
            code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}):\n${output.trim()}`)),
        );
    });
}
