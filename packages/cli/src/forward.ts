/**
 * The CLI's fast path: while a project server runs, a command is sent to it (POST /v1/cli) and
 * its output printed here, instead of loading the argument parser, the tracker and the ledger in
 * this process. It loads Node's http module, @hyperprov/errors and the server's small client
 * only, so a forwarded `get` costs little more than starting node (bench/cold-start.mjs).
 */
import path from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import { ServerUnreachableError, dirOption, findProjectRoot, findServer, runsLocally, serverCli } from '@hyperprov/server/client';
import { CliOutput } from './output.js';

/** Set to run every command in this process even while a server runs (benchmarks, debugging). */
export const NO_SERVER_ENV = 'HYPERPROV_NO_SERVER';

/**
 * Runs `args` through the project's server and resolves to the exit code, or to undefined when
 * the command must run here: no server (none started, or a stale server.json whose process is
 * gone or does not answer), or a command that always runs locally.
 */
export async function forwardToServer(args: readonly string[], signal: AbortSignal): Promise<number | undefined> {
    if (process.env[NO_SERVER_ENV] || runsLocally(args)) return undefined;
    const dir = dirOption(args);
    const root = findProjectRoot(dir === undefined ? process.cwd() : path.resolve(dir));
    const server = root === undefined ? undefined : findServer(root);
    if (!server) return undefined;
    // stdin is the caller's: sent along only when an argument reads it, so nothing waits on a terminal.
    const stdin = args.some((arg) => arg === '@-' || arg.endsWith('=@-')) ? await readStdin() : undefined;
    const json = args.includes('--json');
    try {
        const result = await serverCli(
            server,
            { args: [...args], cwd: process.cwd(), ...(stdin !== undefined && { stdin }), ...(process.stdout.columns && { columns: process.stdout.columns }) },
            signal,
        );
        if (result.stdout) process.stdout.write(result.stdout);
        if (result.stderr) process.stderr.write(result.stderr);
        return result.exitCode;
    } catch (error) {
        // Nothing reached the server, so nothing ran: run it here as if no server were there.
        if (error instanceof ServerUnreachableError) return undefined;
        const io = { stdout: (text: string) => process.stdout.write(text), stderr: (text: string) => void process.stderr.write(text) };
        // Ctrl-C: the dropped request aborted the command in the server, which cleans up as a local run would.
        const reported = signal.aborted ? new TrackerError('ABORTED', 'interrupted', { cause: error }) : error;
        return new CliOutput(json, io).error(reported);
    }
}

async function readStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
}
