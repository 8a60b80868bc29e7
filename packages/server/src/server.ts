/**
 * The project server: one per project, it holds the project's tracker (ledger and stores) open
 * and serves it over HTTP, so any number of CLI commands, hooks and watchers share one tracker
 * instead of queueing for the embedded ledger's lock.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { TrackerError } from '@hyperprov/errors';
import { findProjectDir, openTracker, type Tracker } from '@hyperprov/tracker';
import Fastify, { type FastifyInstance } from 'fastify';
import { installAuth } from './auth.js';
import { serverFilePath, type ServerFile } from './client/server-file.js';
import { installErrorHandlers } from './http-errors.js';
import { cliRoutes, type CliRunner } from './routes/cli.js';
import { epochRoutes } from './routes/epoch.js';
import { healthRoutes } from './routes/health.js';
import { recordRoutes } from './routes/records.js';
import { openApiRoutes, registerOpenApi } from './routes/openapi.js';
import { restRoutes } from './routes/rest.js';
import { webPaths, webRoutes } from './routes/web.js';
import { restSharedSchemas } from './schemas/rest.js';
import { sharedSchemas } from './schemas/common.js';
import { epochSharedSchemas } from './schemas/epoch.js';
import { runsSharedSchemas } from './schemas/runs.js';
import { refuseRunningServer, removeServerFile, writeServerFile } from './server-file-write.js';

/** Options of {@link startServer}. */
export interface StartServerOptions {
    /** The project directory or any directory inside it. */
    projectDir: string;
    /** Address to bind; default 127.0.0.1. Anything but loopback needs `allowRemote`. */
    host?: string;
    /** Port; default 0, a free one (server.json says which). */
    port?: number;
    /** Allow binding a non-loopback address (anyone who can reach it and has the token can record). */
    allowRemote?: boolean;
    /** The project's tracker; default one opened here (and closed on close). A given one is the caller's to close. */
    tracker?: Tracker;
    /** Runs a forwarded CLI invocation; without it, POST /v1/cli answers that the CLI is not available. */
    runCli?: CliRunner;
    /** Largest request body; default 1 MiB (bytes go by path, never through the API). */
    bodyLimit?: number;
    /** How long close() lets running requests and the outbox finish; default 10 s. */
    drainTimeoutMs?: number;
}

/** A running server. */
export interface ProjectServer extends AsyncDisposable {
    readonly url: string;
    readonly host: string;
    readonly port: number;
    readonly token: string;
    readonly projectDir: string;
    /** Path of `.hyperprov/server.json`. */
    readonly serverFile: string;
    readonly tracker: Tracker;
    /** Stops accepting, lets running requests finish (bounded), flushes the outbox, closes the tracker, removes server.json. */
    close(): Promise<void>;
}

/** Version of this package, as health and server.json report it. */
export const SERVER_VERSION: string = (() => {
    try {
        return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
    } catch {
        return 'unknown';
    }
})();

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
    if (host === 'localhost') return true;
    const kind = isIP(host);
    if (kind === 4) return host.startsWith('127.');
    if (kind === 6) return host === '::1' || /^::ffff:127\./i.test(host);
    return false;
}

/**
 * Servers of this process by project. server.json names a pid, and this process's own pid in it
 * is either one of these or a file left by an earlier process that had the same pid.
 */
const runningHere = new Map<string, string>();

/** Starts the project's server; see {@link StartServerOptions}. */
export async function startServer(options: StartServerOptions): Promise<ProjectServer> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 0;
    if (!options.allowRemote && !isLoopback(host)) {
        throw new TrackerError(
            'INVALID_ARGUMENT',
            `--host ${host} is not a loopback address: other machines could reach the project server (with the token they could record as this project); ` +
                'pass --allow-remote (allowRemote: true) to bind it anyway, or leave --host out for 127.0.0.1',
        );
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TrackerError('INVALID_ARGUMENT', `--port ${port} is invalid; give a whole number from 0 (any free port) to 65535`);
    const projectDir = options.tracker?.projectDir ?? (await findProjectDir(options.projectDir)).projectDir;
    // Before opening the tracker: a running server holds the ledger, and "locked" would not say by whom.
    refuseRunningServer(projectDir);
    const here = runningHere.get(projectDir);
    if (here !== undefined) throw new TrackerError('ALREADY_EXISTS', `this process already serves ${projectDir} at ${here}; use that server, or close it first`);
    runningHere.set(projectDir, 'a server that is starting');

    // Long-lived: the ledger stays open (shareLedger false), nobody else opens it while the server runs.
    const ownTracker = options.tracker === undefined;
    let tracker: Tracker;
    try {
        // drainOutbox: epochs a crash or an earlier stop left in the outbox are recorded now.
        tracker = options.tracker ?? (await openTracker({ dir: projectDir, shareLedger: false, drainOutbox: true }));
    } catch (error) {
        runningHere.delete(projectDir);
        throw error;
    }
    const stopping = new AbortController();
    const token = randomBytes(32).toString('base64url');
    let app: FastifyInstance | undefined;
    try {
        app = Fastify({
            logger: false,
            bodyLimit: options.bodyLimit ?? 1024 * 1024,
            // Unknown fields are refused, not silently dropped: a typo must not record something else.
            ajv: { customOptions: { removeAdditional: false } },
            // Idle keep-alive sockets must not hold close() up.
            forceCloseConnections: 'idle',
        });
        for (const schema of [...sharedSchemas, ...epochSharedSchemas, ...runsSharedSchemas, ...restSharedSchemas]) app.addSchema(schema);
        installErrorHandlers(app);
        installAuth(app, token, webPaths());
        // Before the routes: the OpenAPI document is collected from them as they are declared.
        await registerOpenApi(app, SERVER_VERSION);
        healthRoutes(app, { projectDir, version: SERVER_VERSION });
        cliRoutes(app, { tracker, stopping: stopping.signal, ...(options.runCli && { runCli: options.runCli }) });
        epochRoutes(app, { tracker, stopping: stopping.signal });
        recordRoutes(app, { tracker });
        restRoutes(app, { tracker, stopping: stopping.signal });
        webRoutes(app);
        openApiRoutes(app);
        await app.listen({ host, port });
    } catch (error) {
        runningHere.delete(projectDir);
        await app?.close().catch(() => undefined);
        if (ownTracker) await tracker.close().catch(() => undefined);
        throw listenError(error, host, port);
    }
    const address = app.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
    const content: ServerFile = { url, host, port: boundPort, pid: process.pid, token, version: SERVER_VERSION, startedAt: new Date().toISOString() };
    try {
        await writeServerFile(projectDir, content);
    } catch (error) {
        runningHere.delete(projectDir);
        await app.close().catch(() => undefined);
        if (ownTracker) await tracker.close().catch(() => undefined);
        throw error instanceof TrackerError ? error : new TrackerError('IO_ERROR', `cannot write ${serverFilePath(projectDir)}: ${(error as Error).message}`, { cause: error });
    }

    runningHere.set(projectDir, url);
    const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
        (closing ??= (async () => {
            // New commands go local from now on; the file goes first so none is sent to a closing server.
            await removeServerFile(projectDir, token);
            // Running requests get drainTimeoutMs, then are aborted (their commands clean up).
            const timer = setTimeout(() => stopping.abort(), drainTimeoutMs);
            try {
                await app.close();
            } finally {
                clearTimeout(timer);
                stopping.abort();
            }
            // Checkpoints handed in before the stop get their chance to commit; what is left stays
            // in the outbox for the next start.
            await tracker.flush({ timeoutMs: drainTimeoutMs }).catch(() => undefined);
            try {
                if (ownTracker) await tracker.close();
            } finally {
                runningHere.delete(projectDir);
            }
        })());
    return { url, host, port: boundPort, token, projectDir, serverFile: serverFilePath(projectDir), tracker, close, [Symbol.asyncDispose]: close };
}

function listenError(error: unknown, host: string, port: number): unknown {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return new TrackerError('ALREADY_EXISTS', `port ${port} on ${host} is taken by another program; pass another --port, or leave it out for a free one`, { cause: error });
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new TrackerError('INVALID_ARGUMENT', `cannot bind ${host}: not an address of this machine; pass one it has, or leave --host out`, { cause: error });
    if (code === 'EACCES') return new TrackerError('PERMISSION_DENIED', `not allowed to bind port ${port} on ${host}; pick a port above 1023, or leave --port out`, { cause: error });
    return error;
}
