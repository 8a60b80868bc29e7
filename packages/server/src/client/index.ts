/**
 * @hyperprov/server/client: finds a project's running server and talks to it. Node built-ins and
 * @hyperprov/errors only (no fastify, no tracker): the CLI loads it on every start to decide
 * whether to forward, and the watcher and other producers use {@link connectServer}.
 */
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { TrackerError, fromErrorDocument } from '@hyperprov/errors';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import type { EpochHandle, EpochInput, EpochResult, EpochSink, EpochState, FlushResult } from '@hyperprov/tracker';
import { isProcessAlive, readServerFile } from './server-file.js';

export { SERVER_FILENAME, findProjectRoot, isProcessAlive, readServerFile, serverFilePath, type ServerFile } from './server-file.js';
export { LOCAL_COMMANDS, commandWord, dirOption, runsLocally } from './local-commands.js';

/** Where a running server is. */
export interface ServerAddress {
    url: string;
    token: string;
    pid: number;
}

/** The project's running server, or undefined when none runs (no server.json, or its process is gone). */
export function findServer(projectDir: string): ServerAddress | undefined {
    const file = readServerFile(projectDir);
    if (!file || !isProcessAlive(file.pid)) return undefined;
    return { url: file.url, token: file.token, pid: file.pid };
}

/** Options of {@link serverRequest}. */
export interface ServerRequestOptions {
    method?: 'GET' | 'POST';
    body?: unknown;
    signal?: AbortSignal;
    /** Gives up (TIMEOUT) after this long; default no limit. */
    timeoutMs?: number;
}

/** A response as received: the status and the parsed JSON body. */
export interface ServerResponse<T = unknown> {
    status: number;
    body: T;
}

/**
 * The request never reached the server (nothing listens, the address is gone): nothing was run,
 * so a caller may do the work itself. Any failure after the request was sent is a TrackerError
 * instead, because the server may have acted on it.
 */
export class ServerUnreachableError extends Error {
    constructor(
        readonly url: string,
        options: { cause: unknown },
    ) {
        super(`the project server at ${url} is not answering (${(options.cause as Error).message})`, options);
        this.name = 'ServerUnreachableError';
    }
}

/** Error codes meaning the connection was never made. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOENT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND']);

/** One request; resolves with any status (see {@link serverCall} for one that throws error documents). */
export function serverRequest<T = unknown>(server: Pick<ServerAddress, 'url' | 'token'>, route: string, options: ServerRequestOptions = {}): Promise<ServerResponse<T>> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    return new Promise((resolve, reject) => {
        let connected = false;
        const req = httpRequest(new URL(route, server.url), {
            method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
            headers: {
                authorization: `Bearer ${server.token}`,
                ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            },
            ...(options.signal && { signal: options.signal }),
            ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs }),
        });
        req.once('socket', (socket) => {
            if (!socket.connecting) connected = true;
            else socket.once('connect', () => (connected = true));
        });
        req.once('timeout', () => req.destroy(new TrackerError('TIMEOUT', `the project server at ${server.url} did not answer ${route} within ${options.timeoutMs} ms`)));
        req.once('error', (error: NodeJS.ErrnoException) => {
            if (error instanceof TrackerError) return reject(error);
            if (error.name === 'AbortError') return reject(new TrackerError('ABORTED', `the request to the project server was aborted`, { cause: error }));
            if (!connected && NOT_CONNECTED.has(error.code ?? '')) return reject(new ServerUnreachableError(server.url, { cause: error }));
            reject(new TrackerError('LEDGER_UNAVAILABLE', `the connection to the project server at ${server.url} broke during ${route} (${error.message}); it may have stopped: \`hyperprov status\` shows whether the work was done`, { cause: error }));
        });
        req.once('response', (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.once('error', (error) => req.emit('error', error));
            res.once('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                try {
                    resolve({ status: res.statusCode ?? 0, body: (text === '' ? undefined : JSON.parse(text)) as T });
                } catch (error) {
                    reject(new TrackerError('INTERNAL', `the project server at ${server.url} answered ${route} with something that is not JSON (status ${res.statusCode})`, { cause: error }));
                }
            });
        });
        req.end(payload);
    });
}

/** A request whose error responses become the TrackerError their document names. */
export async function serverCall<T>(server: Pick<ServerAddress, 'url' | 'token'>, route: string, options: ServerRequestOptions = {}): Promise<ServerResponse<T>> {
    const response = await serverRequest<T>(server, route, options);
    if (response.status >= 400) {
        throw fromErrorDocument(response.body) ?? new TrackerError('INTERNAL', `the project server answered ${route} with status ${response.status} and no error document`);
    }
    return response;
}

/** What `POST /v1/cli` answers. */
export interface CliResult {
    exitCode: number;
    stdout: string;
    stderr: string;
}

/** Runs `hyperprov <args>` in the server, as if in `cwd`. */
export async function serverCli(server: Pick<ServerAddress, 'url' | 'token'>, body: { args: string[]; cwd: string; stdin?: string; columns?: number }, signal?: AbortSignal): Promise<CliResult> {
    return (await serverCall<CliResult>(server, '/v1/cli', { body, ...(signal && { signal }) })).body;
}

/** What {@link connectServer} returns: an EpochSink over the project server, and the server it uses. */
export interface ServerSink extends EpochSink {
    readonly server: ServerAddress;
    dataset(dir: string, key: string): Promise<{ id: string; status: 'changed' | 'unchanged' }>;
    byChecksum(checksum: string): Promise<ProvenanceRecord[]>;
}

/**
 * An EpochSink that sends everything to the project's running server (what the watcher uses
 * when a server runs). Throws LEDGER_UNAVAILABLE when none runs.
 */
export function connectServer(projectDir: string): ServerSink {
    const root = path.resolve(projectDir);
    const server = findServer(root);
    if (!server) throw new TrackerError('LEDGER_UNAVAILABLE', `no project server runs for ${root}; start one with \`hyperprov serve --detach\` in the project`);
    const post = async <T>(route: string, body: unknown): Promise<ServerResponse<T>> => serverCall<T>(server, route, { body });
    return {
        server,
        async epoch(input: EpochInput): Promise<EpochHandle> {
            // The same idempotency key for every request about this checkpoint: the server then
            // answers the later waits with the first call's entry instead of recording again.
            const sent: EpochInput = { ...input, idempotencyKey: input.idempotencyKey ?? crypto.randomUUID(), cwd: input.cwd ?? process.cwd() };
            const { body } = await post<{ entry: string; run: string; key: string; state: EpochState }>('/v1/epoch', { ...sent, wait: 'queued' });
            const snapshotted = lazy(async () => {
                for (;;) {
                    const { body: answer } = await post<{ state: EpochState }>('/v1/epoch', { ...sent, wait: 'snapshotted', timeoutMs: 60_000 });
                    if (answer.state !== 'queued') return;
                }
            });
            const committed = lazy(async () => {
                for (;;) {
                    const { status, body: answer } = await post<EpochResult & { state: EpochState }>('/v1/epoch', { ...sent, wait: 'committed', timeoutMs: 60_000 });
                    if (status === 200) return { entry: answer.entry, run: answer.run, record: answer.record, datasets: answer.datasets, duplicate: answer.duplicate, ...(answer.previous !== undefined && { previous: answer.previous }) };
                }
            });
            return { entry: body.entry, run: body.run, key: body.key, snapshotted, committed };
        },
        async flush(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
            return (await post<FlushResult>('/v1/flush', options)).body;
        },
        async byChecksum(checksum: string): Promise<ProvenanceRecord[]> {
            return (await serverCall<{ items: ProvenanceRecord[] }>(server, `/v1/checksums/${encodeURIComponent(checksum)}/records`)).body.items;
        },
        async dataset(dir: string, key: string) {
            const result = await serverCli(server, { args: ['dataset', path.resolve(dir), '--key', key, '--json', '--dir', root], cwd: root });
            const document = JSON.parse(result.stdout) as unknown;
            if (result.exitCode !== 0) throw fromErrorDocument(document) ?? new TrackerError('INTERNAL', `hyperprov dataset failed with exit code ${result.exitCode}: ${result.stderr}`);
            const { status, record } = document as { status: 'changed' | 'unchanged'; record: { id: string } };
            return { id: record.id, status };
        },
    };
}

/**
 * A promise whose work starts when someone first awaits it: an EpochHandle's waits are long
 * requests, made only for the handles a caller actually waits on.
 */
function lazy<T>(start: () => Promise<T>): Promise<T> {
    let promise: Promise<T> | undefined;
    const get = (): Promise<T> => (promise ??= start());
    return {
        then: (onFulfilled, onRejected) => get().then(onFulfilled, onRejected),
        catch: (onRejected) => get().catch(onRejected),
        finally: (onFinally) => get().finally(onFinally),
        [Symbol.toStringTag]: 'Promise',
    } as Promise<T>;
}
