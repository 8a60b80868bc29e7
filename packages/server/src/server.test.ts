/**
 * The server over real HTTP on loopback, with a fake tracker whose answers each test controls
 * (when a commit happens, what a status says); the real tracker behind the same routes is in
 * server.int.test.ts and the CLI's integration tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import type { EpochHandle, EpochInput, EpochResult, EpochStatus, Tracker } from '@hyperprov/tracker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectServer, findServer, serverRequest } from './client/index.js';
import { startServer, type CliInvocation, type ProjectServer } from './index.js';

let dir: string;
const servers: ProjectServer[] = [];

beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hyperprov-server-'));
    await mkdir(path.join(dir, '.hyperprov'));
});
afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
});

const record = { id: 'r1', key: 'models/m', checksum: `sha256:${'0'.repeat(64)}`, meta: {} };

/** A tracker with just what the routes call; `calls` records what they were given. */
function fakeTracker(overrides: Record<string, unknown> = {}) {
    const calls: { epoch: EpochInput[]; flush: unknown[]; closed: number } = { epoch: [], flush: [], closed: 0 };
    const statuses = new Map<string, EpochStatus>();
    let commit: ((result: EpochResult) => void) | undefined;
    const tracker = {
        projectDir: dir,
        runs: async () => ({ items: [{ run: 'run-1', keys: ['models/m'], epochs: 1, first: 't0', last: 't1', lastRecordId: 'r1' }], bookmark: '' }),
        run: async (id: string) => {
            if (id !== 'run-1') throw new TrackerError('NOT_FOUND', `no run ${id}`);
            return { summary: { run: 'run-1', keys: ['models/m'], epochs: 1, first: 't0', last: 't1', lastRecordId: 'r1' }, records: { items: [record], bookmark: '' } };
        },
        async epoch(input: EpochInput): Promise<EpochHandle> {
            calls.epoch.push(input);
            if (input.model === 'missing.pt') throw new TrackerError('NOT_FOUND', 'file missing.pt does not exist; check the path');
            const entry = input.idempotencyKey ?? `e${calls.epoch.length}`;
            statuses.set(entry, { entry, run: input.run ?? 'run-1', key: input.key ?? 'models/m', state: 'queued', attempts: 0 });
            const committed = new Promise<EpochResult>((resolve) => (commit = resolve));
            return { entry, run: input.run ?? 'run-1', key: input.key ?? 'models/m', snapshotted: Promise.resolve(), committed };
        },
        async epochStatus(entry: string) {
            return statuses.get(entry);
        },
        async flush(options?: { timeoutMs?: number }) {
            calls.flush.push(options);
            return { done: true, pending: [], failed: [] };
        },
        async close() {
            calls.closed++;
        },
        ...overrides,
    };
    return { tracker: tracker as unknown as Tracker, calls, commitLast: (result: EpochResult) => commit?.(result), statuses };
}

async function start(options: Partial<Parameters<typeof startServer>[0]> = {}) {
    const fake = fakeTracker();
    const server = await startServer({ projectDir: dir, tracker: fake.tracker, ...options });
    servers.push(server);
    return { server, ...fake };
}

/** A raw request, for what the client module never sends (no token, bad JSON). */
function raw(url: string, route: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
        const req = request(new URL(route, url), { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
            let text = '';
            res.on('data', (chunk) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
        });
        req.on('error', reject);
        req.end(options.body);
    });
}

describe('authentication', () => {
    it('refuses a request without a token with 401 and the error document', async () => {
        const { server } = await start();
        const response = await raw(server.url, '/v1/health');
        expect(response.status).toBe(401);
        expect(response.body.error).toMatchObject({ code: 'PERMISSION_DENIED', exitCode: 15 });
        expect(response.body.error.message).toMatch(/Authorization: Bearer/);
    });

    it('refuses a wrong token, also one of the same length, and on every route', async () => {
        const { server } = await start();
        const wrong = server.token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
        for (const route of ['/v1/health', '/v1/runs', '/v1/epochs/x', '/v1/nope']) {
            const response = await raw(server.url, route, { headers: { authorization: `Bearer ${wrong}` } });
            expect(response.status, route).toBe(401);
            expect(response.body.error.code).toBe('PERMISSION_DENIED');
        }
        const posted = await raw(server.url, '/v1/cli', { method: 'POST', headers: { authorization: 'Bearer x', 'content-type': 'application/json' }, body: '{"args":["get","k"],"cwd":"/"}' });
        expect(posted.status).toBe(401);
    });

    it('answers with the right token', async () => {
        const { server } = await start();
        const response = await serverRequest(server, '/v1/health');
        expect(response).toEqual({ status: 200, body: { ok: true, pid: process.pid, projectDir: dir, version: expect.any(String) } });
    });
});

describe('server.json', () => {
    it('is written 0600 with url, port, pid and a 32-byte token, and removed on close', async () => {
        const { server } = await start();
        const file = path.join(dir, '.hyperprov', 'server.json');
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        const content = JSON.parse(await readFile(file, 'utf8'));
        expect(content).toEqual({ url: server.url, host: '127.0.0.1', port: server.port, pid: process.pid, token: server.token, version: expect.any(String), startedAt: expect.any(String) });
        expect(Buffer.from(content.token, 'base64url')).toHaveLength(32);
        expect(findServer(dir)).toEqual({ url: server.url, token: server.token, pid: process.pid });
        await server.close();
        await expect(stat(file)).rejects.toThrow(/ENOENT/);
    });

    it('refuses a second server on the same project, naming the running one', async () => {
        const { server } = await start();
        const other = fakeTracker();
        // Another process's server: the file of a live pid other than ours.
        const file = path.join(dir, '.hyperprov', 'server.json');
        const content = JSON.parse(await readFile(file, 'utf8'));
        await writeFile(file, JSON.stringify({ ...content, pid: process.ppid, token: 'another server' }));
        const error = await startServer({ projectDir: dir, tracker: other.tracker }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TrackerError);
        expect(error).toMatchObject({ code: 'ALREADY_EXISTS', message: expect.stringContaining(`pid ${process.ppid}, ${server.url}`) });
        // Not ours any more: closing leaves the other server's file alone.
        await server.close();
        expect(JSON.parse(await readFile(file, 'utf8')).pid).toBe(process.ppid);
    });

    it('replaces a stale file whose process is gone', async () => {
        const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
        const file = path.join(dir, '.hyperprov', 'server.json');
        await writeFile(file, JSON.stringify({ url: 'http://127.0.0.1:1', host: '127.0.0.1', port: 1, pid: Number(dead.stdout), token: 'old', version: '0', startedAt: '' }));
        expect(findServer(dir)).toBeUndefined();
        const { server } = await start();
        expect(JSON.parse(await readFile(file, 'utf8')).token).toBe(server.token);
    });

    it('refuses a non-loopback address unless allowed', async () => {
        const fake = fakeTracker();
        const error = await startServer({ projectDir: dir, tracker: fake.tracker, host: '0.0.0.0' }).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('--allow-remote') });
        const server = await startServer({ projectDir: dir, tracker: fake.tracker, host: '0.0.0.0', allowRemote: true });
        servers.push(server);
        expect(server.url).toBe(`http://0.0.0.0:${server.port}`);
    });

    it('flushes the outbox on close, and leaves a tracker it was given open', async () => {
        const { server, calls } = await start({ drainTimeoutMs: 1234 });
        await server.close();
        expect(calls.flush).toEqual([{ timeoutMs: 1234 }]);
        expect(calls.closed).toBe(0);
    });
});

describe('bad requests', () => {
    const headers = (server: ProjectServer) => ({ authorization: `Bearer ${server.token}`, 'content-type': 'application/json' });

    it('answers malformed JSON with 400 INVALID_ARGUMENT', async () => {
        const { server } = await start();
        const response = await raw(server.url, '/v1/epoch', { method: 'POST', headers: headers(server), body: '{"model": ' });
        expect(response.status).toBe(400);
        expect(response.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', exitCode: 2, message: expect.stringMatching(/not valid JSON/) });
    });

    it('refuses a body over the limit, unknown fields and wrong types', async () => {
        const { server, calls } = await start({ bodyLimit: 1000 });
        const big = await raw(server.url, '/v1/cli', { method: 'POST', headers: headers(server), body: JSON.stringify({ args: ['x'.repeat(2000)], cwd: '/' }) });
        expect(big.status).toBe(413);
        expect(big.body.error.code).toBe('INVALID_ARGUMENT');
        const typo = await serverRequest<any>(server, '/v1/epoch', { body: { model: 'a.pt', epochs: 3 } });
        expect(typo.status).toBe(400);
        expect(typo.body.error.message).toMatch(/additional properties/);
        const wrong = await serverRequest<any>(server, '/v1/epoch', { body: { model: 'a.pt', epoch: -1 } });
        expect(wrong.status).toBe(400);
        expect(calls.epoch).toEqual([]);
    });

    it('answers an unknown route with 404 NOT_FOUND', async () => {
        const { server } = await start();
        const response = await serverRequest<any>(server, '/v2/anything');
        expect(response.status).toBe(404);
        expect(response.body.error.code).toBe('NOT_FOUND');
    });
});

describe('epoch routes', () => {
    it('queues and answers 202 with the handle', async () => {
        const { server, calls } = await start();
        const response = await serverRequest(server, '/v1/epoch', { body: { model: 'a.pt', epoch: 3, metrics: { loss: 0.4 }, datasets: { train: 'data/train' } } });
        expect(response).toEqual({ status: 202, body: { entry: 'e1', run: 'run-1', key: 'models/m', state: 'queued' } });
        expect(calls.epoch).toEqual([{ model: 'a.pt', epoch: 3, metrics: { loss: 0.4 }, datasets: { train: 'data/train' } }]);
    });

    it('waits for the commit and answers 200 with the record', async () => {
        const { server, commitLast } = await start();
        const answer = serverRequest(server, '/v1/epoch', { body: { model: 'a.pt', wait: 'committed' } });
        setTimeout(() => commitLast({ entry: 'e1', run: 'run-1', record: record as any, datasets: { train: 'm1' }, duplicate: false }), 50);
        expect(await answer).toEqual({ status: 200, body: { entry: 'e1', run: 'run-1', key: 'models/m', state: 'committed', record, datasets: { train: 'm1' }, duplicate: false } });
    });

    it('answers 202 with the state reached when the wait times out', async () => {
        const { server, statuses } = await start();
        const answer = serverRequest(server, '/v1/epoch', { body: { model: 'a.pt', wait: 'committed', timeoutMs: 100, idempotencyKey: 'k1' } });
        setTimeout(() => statuses.set('k1', { ...statuses.get('k1')!, state: 'snapshotted' }), 20);
        expect(await answer).toEqual({ status: 202, body: { entry: 'k1', run: 'run-1', key: 'models/m', state: 'snapshotted' } });
    });

    it("maps the tracker's error to its status and error document", async () => {
        const { server } = await start();
        const response = await serverRequest<any>(server, '/v1/epoch', { body: { model: 'missing.pt' } });
        expect(response.status).toBe(404);
        expect(response.body).toEqual({ error: { code: 'NOT_FOUND', message: 'file missing.pt does not exist; check the path', hint: expect.any(String), exitCode: 3 } });
    });

    it('reports an entry, 404 for an unknown one, and flushes', async () => {
        const { server, calls } = await start();
        await serverRequest(server, '/v1/epoch', { body: { model: 'a.pt' } });
        expect(await serverRequest(server, '/v1/epochs/e1')).toEqual({ status: 200, body: { entry: 'e1', run: 'run-1', key: 'models/m', state: 'queued', attempts: 0 } });
        expect((await serverRequest<any>(server, '/v1/epochs/nope')).status).toBe(404);
        expect(await serverRequest(server, '/v1/flush', { body: { timeoutMs: 5 } })).toEqual({ status: 200, body: { done: true, pending: [], failed: [] } });
        expect(await serverRequest(server, '/v1/flush', { method: 'POST' })).toMatchObject({ status: 200 });
        expect(calls.flush).toEqual([{ timeoutMs: 5 }, {}]);
    });

    it('lists runs and one run, paged', async () => {
        const { server } = await start();
        expect((await serverRequest<any>(server, '/v1/runs?pageSize=10')).body.items[0].run).toBe('run-1');
        expect((await serverRequest<any>(server, '/v1/runs/run-1')).body.records.items).toEqual([record]);
        expect((await serverRequest<any>(server, '/v1/runs/run-2')).status).toBe(404);
        expect((await serverRequest<any>(server, '/v1/runs?pageSize=abc')).status).toBe(400);
    });
});

describe('the client as an EpochSink', () => {
    it('sends epochs, waits for their commit with the same idempotency key, and flushes', async () => {
        const { server, calls, commitLast } = await start();
        const sink = connectServer(dir);
        expect(sink.server.url).toBe(server.url);
        const handle = await sink.epoch({ model: 'a.pt', epoch: 1 });
        const key = calls.epoch[0]?.idempotencyKey;
        expect(key).toMatch(/^[0-9a-f-]{36}$/);
        expect(handle).toMatchObject({ entry: key, run: 'run-1', key: 'models/m' });
        await handle.snapshotted;
        const committed = handle.committed;
        setTimeout(() => commitLast({ entry: key!, run: 'run-1', record: record as any, datasets: {}, duplicate: false }), 50);
        expect(await committed).toEqual({ entry: key, run: 'run-1', record, datasets: {}, duplicate: false });
        expect(calls.epoch.map((input) => input.idempotencyKey)).toEqual([key, key, key]);
        expect(await sink.flush({ timeoutMs: 1 })).toEqual({ done: true, pending: [], failed: [] });
    });

    it('throws the error the server sent', async () => {
        await start();
        await expect(connectServer(dir).epoch({ model: 'missing.pt' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('says how to start a server when none runs', () => {
        expect(() => connectServer(dir)).toThrow(/hyperprov serve --detach/);
    });
});

describe('POST /v1/cli', () => {
    it('runs the invocation with the shared tracker and returns its output', async () => {
        const seen: CliInvocation[] = [];
        const { server, tracker } = await start({
            runCli: async (invocation) => {
                seen.push(invocation);
                return { exitCode: 3, stdout: 'out', stderr: 'err' };
            },
        });
        const response = await serverRequest(server, '/v1/cli', { body: { args: ['get', 'k'], cwd: '/tmp', stdin: 'in', columns: 90 } });
        expect(response).toEqual({ status: 200, body: { exitCode: 3, stdout: 'out', stderr: 'err' } });
        expect(seen[0]).toMatchObject({ args: ['get', 'k'], cwd: '/tmp', stdin: 'in', columns: 90 });
        expect(seen[0]?.tracker).toBe(tracker);
    });

    it('aborts the command when the client goes away', async () => {
        let aborted: (reason: unknown) => void = () => undefined;
        const abortedWith = new Promise((resolve) => (aborted = resolve));
        const { server } = await start({
            runCli: ({ signal }) =>
                new Promise((resolve) => {
                    signal.addEventListener('abort', () => {
                        aborted(signal.reason);
                        resolve({ exitCode: 14, stdout: '', stderr: '' });
                    });
                }),
        });
        const controller = new AbortController();
        const request = serverRequest(server, '/v1/cli', { body: { args: ['verify', '--all'], cwd: '/' }, signal: controller.signal });
        setTimeout(() => controller.abort(), 100);
        await expect(request).rejects.toMatchObject({ code: 'ABORTED' });
        expect(String(await abortedWith)).toMatch(/interrupted/);
    });

    it('refuses the commands that run locally', async () => {
        const { server } = await start({ runCli: async () => ({ exitCode: 0, stdout: '', stderr: '' }) });
        for (const args of [['init'], ['--json', 'serve'], ['--dir', 'x', 'enroll', '--user', 'u']]) {
            const response = await serverRequest<any>(server, '/v1/cli', { body: { args, cwd: '/' } });
            expect(response.status, args.join(' ')).toBe(400);
            expect(response.body.error.message).toMatch(/run it in your own shell/);
        }
    });

    it('forwards a dataset through the CLI for the sink', async () => {
        const { server } = await start({
            runCli: async ({ args }) => ({ exitCode: 0, stdout: JSON.stringify({ status: 'changed', record: { id: `id:${args[1]}:${args[3]}` } }), stderr: '' }),
        });
        expect(server.url).toBeDefined();
        expect(await connectServer(dir).dataset('data/train', 'datasets/train')).toEqual({ id: `id:${path.resolve('data/train')}:datasets/train`, status: 'changed' });
    });
});
