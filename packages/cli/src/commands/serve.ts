import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrackerError } from '@hyperprov/errors';
import { findServer, isProcessAlive, readServerFile, serverFilePath, serverRequest } from '@hyperprov/server/client';
import type { CommandSpec } from '../command-spec.js';
import { parseIntegerArg, runCommand, type CliContext, type GlobalArgs } from '../context.js';
import type { CliOutput } from '../output.js';

interface ServeArgs extends GlobalArgs {
    detach: boolean;
    stop: boolean;
    host?: string;
    port?: string;
    allowRemote: boolean;
}

/** How long `--detach` waits for the new server to answer, and `--stop` for it to exit. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;

/**
 * `hyperprov serve`: the project server. In the foreground until Ctrl-C or SIGTERM (then it
 * drains); `--detach` starts it in the background; `--stop` stops the running one.
 */
export function serveCommand(ctx: CliContext): CommandSpec<ServeArgs> {
    return {
        command: 'serve',
        describe: 'Run the project server: every hyperprov command on this project then goes through it, concurrently',
        options: {
            detach: { type: 'boolean', default: false, describe: 'start it in the background (log in .hyperprov/server.log) and return once it answers' },
            stop: { type: 'boolean', default: false, describe: "stop the project's running server and wait until it has drained" },
            host: { type: 'string', describe: 'address to listen on (default 127.0.0.1; others need --allow-remote)' },
            port: { type: 'string', describe: 'port to listen on (default: a free one, written to .hyperprov/server.json)' },
            'allow-remote': { type: 'boolean', default: false, describe: 'allow a non-loopback --host (anyone reaching it with the token can record)' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                if (argv.stop && argv.detach) throw new TrackerError('INVALID_ARGUMENT', '--stop and --detach do not go together; give one');
                const projectDir = await projectOf(ctx, argv);
                if (argv.stop) return stop(out, projectDir);
                const port = parseIntegerArg(argv.port, '--port', 0, 65535);
                if (argv.detach) return detach(ctx, out, argv, projectDir);
                return foreground(ctx, out, { projectDir, allowRemote: argv.allowRemote, ...(argv.host !== undefined && { host: argv.host }), ...(port !== undefined && { port }) });
            }),
    };
}

/** The project directory, as every command finds it (with the tracker's checks and messages). */
async function projectOf(ctx: CliContext, argv: GlobalArgs): Promise<string> {
    const { findProjectDir } = await import('@hyperprov/tracker');
    return (await findProjectDir(path.resolve(ctx.cwd, argv.dir ?? '.'))).projectDir;
}

async function foreground(ctx: CliContext, out: CliOutput, options: { projectDir: string; host?: string; port?: number; allowRemote: boolean }): Promise<number> {
    const [{ startServer }, { runCli }] = await Promise.all([import('@hyperprov/server'), import('../run.js')]);
    const server = await startServer({
        ...options,
        // Each forwarded command runs as `hyperprov …` would in the caller's terminal, its output
        // collected for the response; the tracker is the server's, shared by all of them.
        runCli: async ({ args, cwd, stdin, columns, signal, tracker }) => {
            let stdout = '';
            let stderr = '';
            const exitCode = await runCli(args, {
                cwd,
                io: {
                    stdout: (text) => {
                        stdout += text;
                        return true;
                    },
                    stderr: (text) => void (stderr += text),
                },
                readStdin: async () => stdin ?? '',
                signal,
                tracker,
                interactive: false,
                ...(columns !== undefined && { columns }),
            });
            return { exitCode, stdout, stderr };
        },
    });
    // The page reads the token from the fragment, which browsers never send to a server.
    const page = `${server.url}/#token=${server.token}`;
    out.result({ url: server.url, page, pid: process.pid, projectDir: server.projectDir, serverFile: server.serverFile }, () =>
        `serving ${server.projectDir} at ${server.url} (pid ${process.pid}); every hyperprov command on this project now goes through it. Ctrl-C stops it\nweb page: ${page}`,
    );
    await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) return resolve();
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    out.note('stopping: letting running commands finish…');
    await server.close();
    out.note('stopped');
    return 0;
}

async function detach(ctx: CliContext, out: CliOutput, argv: ServeArgs, projectDir: string): Promise<number> {
    const running = findServer(projectDir);
    if (running) throw new TrackerError('ALREADY_EXISTS', `a project server already runs for ${projectDir} (pid ${running.pid}, ${running.url}); stop it with \`hyperprov serve --stop\``);
    const log = path.join(projectDir, '.hyperprov', 'server.log');
    const fd = openSync(log, 'a', 0o600);
    const main = fileURLToPath(new URL('../main.js', import.meta.url));
    const args = [main, 'serve', '--dir', projectDir, ...(argv.host !== undefined ? ['--host', argv.host] : []), ...(argv.port !== undefined ? ['--port', argv.port] : []), ...(argv.allowRemote ? ['--allow-remote'] : [])];
    const child = spawn(process.execPath, args, { cwd: projectDir, detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code));
    child.unref();
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
        if (ctx.signal.aborted) {
            child.kill('SIGTERM');
            throw new TrackerError('ABORTED', 'interrupted while the server was starting; it was told to stop');
        }
        const server = findServer(projectDir);
        if (server && server.pid === child.pid) {
            const health = await serverRequest(server, '/v1/health', { timeoutMs: 2_000 }).catch(() => undefined);
            if (health?.status === 200) {
                const page = `${server.url}/#token=${server.token}`;
                out.result({ url: server.url, page, pid: server.pid, projectDir, log }, () => `serving ${projectDir} at ${server.url} (pid ${server.pid}); log in ${log}; \`hyperprov serve --stop\` stops it\nweb page: ${page}`);
                return 0;
            }
        }
        if (exited !== undefined) throw new TrackerError('INTERNAL', `the server exited (code ${exited}) before it answered: ${lastLines(log)}`);
        if (Date.now() > deadline) {
            child.kill('SIGTERM');
            throw new TrackerError('TIMEOUT', `the server did not answer within ${START_TIMEOUT_MS / 1000} s; its log is ${log}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

async function stop(out: CliOutput, projectDir: string): Promise<number> {
    const file = readServerFile(projectDir);
    if (!file || !isProcessAlive(file.pid)) {
        // A file whose server was killed is garbage: no command would use it, so it goes.
        if (file) await unlink(serverFilePath(projectDir)).catch(() => undefined);
        out.result({ stopped: false, projectDir }, () => `no project server runs for ${projectDir}${file ? ` (removed the stale server.json of pid ${file.pid})` : ''}`);
        return 0;
    }
    // The pid is signalled only once the server answers with it: a stale file's pid may be another program's by now.
    const health = await serverRequest<{ pid?: number }>(file, '/v1/health', { timeoutMs: 5_000 }).catch(() => undefined);
    if (health?.status !== 200 || health.body.pid !== file.pid) {
        throw new TrackerError('LEDGER_UNAVAILABLE', `the project server in ${path.join(projectDir, '.hyperprov', 'server.json')} (pid ${file.pid}, ${file.url}) does not answer; if pid ${file.pid} is that server, stop it with \`kill ${file.pid}\``);
    }
    process.kill(file.pid, 'SIGTERM');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isProcessAlive(file.pid)) {
        if (Date.now() > deadline) throw new TrackerError('TIMEOUT', `the project server (pid ${file.pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s; \`kill -9 ${file.pid}\` ends it (the ledger is crash-safe)`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    out.result({ stopped: true, pid: file.pid, url: file.url, projectDir }, () => `stopped the project server of ${projectDir} (pid ${file.pid})`);
    return 0;
}

function lastLines(file: string): string {
    try {
        return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n') || '(its log is empty)';
    } catch {
        return '(no log)';
    }
}

