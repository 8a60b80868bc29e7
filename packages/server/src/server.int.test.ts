/**
 * The server on a real project: a real tracker (embedded ledger, local store, outbox), real
 * HTTP, a real checkpoint file. The epoch routes end in a ledger record; runs come from the
 * contract's index.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initTracker } from '@hyperprov/tracker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectServer, serverRequest } from './client/index.js';
import { startServer, type ProjectServer } from './index.js';

let dir: string;
let server: ProjectServer;

beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hyperprov-server-int-'));
    await initTracker({ dir, durability: 'none' });
    await writeFile(path.join(dir, 'epoch1.pt'), 'weights of epoch 1\n');
    server = await startServer({ projectDir: dir });
}, 120_000);

afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
});

describe('the server on a real tracker', () => {
    it('records an epoch posted with wait=committed and reports it, its run and a flush', async () => {
        const posted = await serverRequest<any>(server, '/v1/epoch', {
            body: { model: 'epoch1.pt', cwd: dir, key: 'models/m', epoch: 1, metrics: { loss: 0.5 }, run: 'run-a', wait: 'committed', timeoutMs: 60_000 },
        });
        expect(posted.status, JSON.stringify(posted.body)).toBe(200);
        expect(posted.body).toMatchObject({ run: 'run-a', key: 'models/m', state: 'committed', duplicate: false, record: { key: 'models/m', meta: { epoch: 1, run: 'run-a' } } });

        const status = await serverRequest<any>(server, `/v1/epochs/${encodeURIComponent(posted.body.entry)}`);
        expect(status).toMatchObject({ status: 200, body: { entry: posted.body.entry, state: 'committed', recordId: posted.body.record.id } });

        const runs = await serverRequest<any>(server, '/v1/runs');
        expect(runs.body.items).toEqual([expect.objectContaining({ run: 'run-a', keys: ['models/m'], epochs: 1, lastRecordId: posted.body.record.id })]);
        const run = await serverRequest<any>(server, '/v1/runs/run-a?pageSize=10');
        expect(run.body.records.items.map((r: { id: string }) => r.id)).toEqual([posted.body.record.id]);

        expect(await serverRequest(server, '/v1/flush', { body: { timeoutMs: 5_000 } })).toEqual({ status: 200, body: { done: true, pending: [], failed: [] } });
    });

    it('is an EpochSink whose handle settles at the commit', async () => {
        await writeFile(path.join(dir, 'epoch2.pt'), 'weights of epoch 2\n');
        const sink = connectServer(dir);
        const handle = await sink.epoch({ model: path.join(dir, 'epoch2.pt'), key: 'models/m', epoch: 2, run: 'run-a' });
        await handle.snapshotted;
        const result = await handle.committed;
        expect(result.record).toMatchObject({ key: 'models/m', meta: { epoch: 2 } });
        // The run's previous checkpoint is its dependency.
        expect(result.previous).toBeDefined();
        expect(result.record.dependencies).toContain(result.previous);
        // The same bytes are found by their checksum (what the watcher asks before recording).
        expect((await sink.byChecksum(result.record.checksum)).map((r) => r.id)).toEqual([result.record.id]);
        expect(await sink.byChecksum(`sha256:${'0'.repeat(64)}`)).toEqual([]);
        await expect(sink.byChecksum('md5:abc')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('answers /v1/cli without a CLI runner with a clear error', async () => {
        const response = await serverRequest<any>(server, '/v1/cli', { body: { args: ['get', 'models/m'], cwd: dir } });
        expect(response.status).toBe(500);
        expect(response.body.error.message).toMatch(/hyperprov serve/);
    });

    it('writes server.json 0600 and removes it on close', async () => {
        expect((await stat(server.serverFile)).mode & 0o777).toBe(0o600);
        const other = await startServer({ projectDir: dir }).catch((error: unknown) => error);
        expect(other).toMatchObject({ code: 'ALREADY_EXISTS' });
    });

    // A JS trainer beside a running server: its own tracker writes the outbox, the server records.
    // It must not open the embedded ledger the server holds (it waited in line for 120 s once).
    for (const shareLedger of [true, false]) {
        it(`a trainer process's tracker (shareLedger ${shareLedger}) hands its epoch to the server without waiting for the ledger`, async () => {
            await writeFile(path.join(dir, `trainer-${shareLedger}.pt`), `weights of a JS trainer ${shareLedger}\n`);
            const trainer = `
                import { openTracker } from '@hyperprov/tracker';
                const [dir, shareLedger] = [process.argv[1], process.argv[2] === 'true'];
                const started = Date.now();
                const tracker = await openTracker({ dir, shareLedger, run: 'run-js', onLedgerWait: (m) => console.error('ledger wait: ' + m) });
                const handle = await tracker.epoch({ model: dir + '/trainer-' + shareLedger + '.pt', key: 'models/js', epoch: 1 });
                const result = await handle.committed;
                // Reads are the server's to answer: said at once, not after the lock's timeout.
                const read = await tracker.history('models/js').then(() => 'answered', (error) => error.code);
                await tracker.close();
                console.log(JSON.stringify({ ms: Date.now() - started, id: result.record.id, read }));
            `;
            const out = await new Promise<string>((resolve, reject) =>
                execFile(process.execPath, ['--input-type=module', '-e', trainer, dir, String(shareLedger)], { cwd: packageDir, timeout: 40_000 }, (error, stdout, stderr) =>
                    error ? reject(new Error(`trainer failed or hung: ${stderr || error.message}`)) : resolve(stdout),
                ),
            );
            const { ms, id, read } = JSON.parse(out.trim().split('\n').pop()!) as { ms: number; id: string; read: string };
            expect(ms).toBeLessThan(20_000);
            expect(read).toBe('LEDGER_UNAVAILABLE');
            const record = await serverRequest<any>(server, `/v1/records/${encodeURIComponent(id)}`);
            expect(record.body).toMatchObject({ id, key: 'models/js', meta: { run: 'run-js', epoch: 1 } });
        }, 60_000);
    }
});

const packageDir = fileURLToPath(new URL('..', import.meta.url));
