/**
 * `hyperprov serve` with real processes: the built binary started detached, real HTTP, real
 * files. While it runs, commands from other processes go through it with the output and exit
 * codes of a local run, many at once, without waiting for the ledger (the server holds it: a
 * command that did not go through the server would wait for it and say so); a killed server's
 * stale file sends commands back to running locally.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXIT_CODES } from '@hyperprov/errors';
import { isProcessAlive } from '@hyperprov/server/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN, ensureCliBuilt, runHyperprov, type CliRun } from './testing/cli-process.js';
import { loadedModules } from './testing/loaded-modules.js';

let project: string;
const hp = (args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> =>
    runHyperprov(args, { cwd: options.cwd ?? project, ...(options.input !== undefined && { input: options.input }), ...(options.env && { env: options.env }) });
const serverFile = (): string => path.join(project, '.hyperprov', 'server.json');

async function ok<T = any>(args: string[], cwd?: string): Promise<T> {
    const run = await hp([...args, '--json'], cwd === undefined ? {} : { cwd });
    expect(run.code, `hyperprov ${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(0);
    return run.json<T>();
}

async function waitUntil(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

/** The files a process has open (Linux /proc). */
function openFiles(pid: number): string[] {
    return readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
            return '';
        }
    });
}

/** A request without the token, as any other local user could send it. */
function unauthenticated(url: string): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
        const req = request(new URL('/v1/cli', url), { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
            let text = '';
            res.on('data', (chunk) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ args: ['get', 'models/m'], cwd: project }));
    });
}

/** What a forwarded run must match a local one on: exit code, stdout and stderr, byte for byte. */
function comparable(run: CliRun): { code: number; stdout: string; stderr: string } {
    return { code: run.code, stdout: run.stdout, stderr: run.stderr };
}

/** The invocations whose output must not change when a server answers them (run from `sub/`). */
const SAME_OUTPUT: string[][] = [
    ['get', 'models/m'],
    ['get', 'models/m', '--json'],
    ['history', 'models/m', '--json'],
    ['lineage', 'models/m'],
    ['lineage', 'data/train', '--down', '--json'],
    ['range', '', '', '--json'],
    ['check', 'epoch1.pt', '--json'],
    ['status', '--json'],
    ['verify', '--all', '--json'],
    ['get', '--help'],
    // Failures, with their exit codes: an unknown key (3), a missing file named as typed (3), a usage error (2), a bad --meta (2).
    ['get', 'no/such/key'],
    ['get', 'no/such/key', '--json'],
    ['record', 'missing.pt', '--key', 'models/x'],
    ['record', 'epoch1.pt'],
    ['record', 'epoch1.pt', '--key', 'models/x', '--meta', '{oops', '--json'],
    ['fetch', 'models/m', ''],
];

beforeAll(async () => {
    ensureCliBuilt();
    project = await mkdtemp(path.join(tmpdir(), 'hp-cli-serve-'));
    await ok(['init']);
    await mkdir(path.join(project, 'sub'));
    for (let i = 1; i <= 8; i++) await writeFile(path.join(project, 'sub', `epoch${i}.pt`), `weights of epoch ${i}\n`);
    await writeFile(path.join(project, 'sub', 'train.csv'), 'a,b\n1,2\n');
    const data = await ok(['record', 'train.csv', '--key', 'data/train'], path.join(project, 'sub'));
    await ok(['record', 'epoch1.pt', '--key', 'models/m', '--dep', data.id, '--meta', '{"epoch":1}'], path.join(project, 'sub'));
}, 180_000);

afterEach(async () => {
    // A test that failed half-way must not leave its server running.
    if (existsSync(serverFile())) await hp(['serve', '--stop']);
});

afterAll(async () => {
    await rm(project, { recursive: true, force: true });
});

describe('hyperprov serve', { timeout: 180_000 }, () => {
    it('forwards commands with the output and exit codes of a local run', async () => {
        const sub = path.join(project, 'sub');
        const local = [];
        for (const args of SAME_OUTPUT) local.push(comparable(await hp(args, { cwd: sub })));

        const started = await ok(['serve', '--detach']);
        expect(started).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), page: expect.any(String), pid: expect.any(Number), projectDir: project, log: path.join(project, '.hyperprov', 'server.log') });
        // The web page's address carries the token in its fragment (never sent to a server).
        expect(started.page).toBe(`${started.url}/#token=${JSON.parse(readFileSync(serverFile(), 'utf8')).token}`);
        expect(statSync(serverFile()).mode & 0o777).toBe(0o600);

        for (const [i, args] of SAME_OUTPUT.entries()) {
            const forwarded = await hp(args, { cwd: sub });
            expect(forwarded.stderr, args.join(' ')).not.toMatch(/waiting for the ledger/);
            expect(comparable(forwarded), `hyperprov ${args.join(' ')}`).toEqual(local[i]);
        }
        expect(local.map((run) => run.code)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 2, 2, 2]);

        // A write through the server (stdin forwarded for @-), then read back locally after the stop.
        const recorded = await hp(['record', 'epoch2.pt', '--key', 'models/m', '--dep', 'models/m', '--meta', '@-', '--json'], { cwd: sub, input: '{"epoch":2}' });
        expect(recorded.code, recorded.stderr).toBe(0);
        expect(recorded.json()).toMatchObject({ key: 'models/m', meta: { epoch: 2 } });
        const viaServer = await hp(['get', 'models/m', '--json']);
        await ok(['serve', '--stop']);
        expect(comparable(await hp(['get', 'models/m', '--json']))).toEqual(comparable(viaServer));
    });

    it('forwards on a fast path that loads neither the parser nor the tracker nor fastify', async () => {
        const local = loadedModules(['get', 'models/m', '--json'], project);
        await ok(['serve', '--detach']);
        const forwarded = loadedModules(['get', 'models/m', '--json'], project);
        await ok(['serve', '--stop']);
        expect(forwarded.code).toBe(0);
        const heavy = (files: string[]) => files.filter((f) => /\/node_modules\/(commander|fastify)\/|\/tracker\/dist\/|\/cli\/dist\/run\.js/.test(f));
        // The probe sees them in a local run, so their absence below means something.
        expect(heavy(local.files).length).toBeGreaterThan(0);
        expect(heavy(forwarded.files)).toEqual([]);
        expect(forwarded.files.some((f) => f.endsWith('/server/dist/client/index.js'))).toBe(true);
    });

    it('runs eight commands at once without any of them waiting for the ledger', async () => {
        await ok(['serve', '--detach']);
        const sub = path.join(project, 'sub');
        const runs = await Promise.all([
            ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => hp(['record', `epoch${i}.pt`, '--key', `models/concurrent-${i}`], { cwd: sub })),
            ...[1, 2, 3, 4].map(() => hp(['get', 'models/m', '--json'], { cwd: sub })),
            hp(['history', 'models/m', '--json']),
            hp(['verify', '--all', '--json']),
        ]);
        for (const run of runs) {
            expect(run.code, run.stderr).toBe(0);
            expect(run.stderr).not.toMatch(/waiting|locked|in use/i);
        }
        await ok(['serve', '--stop']);
        const keys = (await ok(['range', 'models/concurrent-', 'models/concurrent.'])).items.map((record: { key: string }) => record.key);
        expect(keys).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => `models/concurrent-${i}`));
    });

    it('records epochs through the server, whose outbox drains them, and lists the run', async () => {
        await ok(['serve', '--detach']);
        const sub = path.join(project, 'sub');
        // --dir through a symbolic link: still the server's project, run on the server's tracker.
        const linked = path.join(path.dirname(project), `${path.basename(project)}-link`);
        await symlink(project, linked);
        try {
            const first = await ok(['epoch', 'epoch1.pt', '--key', 'models/trained', '--epoch', '1', '--metrics', '{"loss":0.5}', '--run', 'served-run'], sub);
            expect(first).toMatchObject({ state: 'committed', run: 'served-run', record: { key: 'models/trained', meta: { epoch: 1, run: 'served-run' } } });
            const queued = await hp(['epoch', 'epoch2.pt', '--key', 'models/trained', '--epoch', '2', '--run', 'served-run', '--wait', 'queued', '--dir', linked, '--json'], { cwd: sub });
            expect(queued.code, queued.stderr).toBe(0);
            expect(queued.stderr).not.toMatch(/waiting for the ledger/);
            // The server keeps draining after the command returned: the queued epoch commits.
            const drained = (await hp(['serve', '--stop', '--json'])).json();
            expect(drained.stopped).toBe(true);
            const run = await ok(['run', 'served-run']);
            expect(run.records.items.map((r: { meta: { epoch: number } }) => r.meta.epoch)).toEqual([1, 2]);
            expect(run.records.items[1].dependencies).toContain(first.record.id);
        } finally {
            await rm(linked);
        }
    });

    it('refuses requests without the token, a second server, and a non-loopback address', async () => {
        const { url, pid } = await ok(['serve', '--detach']);
        const refused = await unauthenticated(url);
        expect(refused.status).toBe(401);
        expect(refused.body.error).toMatchObject({ code: 'PERMISSION_DENIED', exitCode: 15 });

        const second = await hp(['serve', '--json']);
        expect(second.code).toBe(10);
        expect(second.json().error.message).toContain(`pid ${pid}, ${url}`);
        const detached = await hp(['serve', '--detach', '--json']);
        expect(detached.code).toBe(10);
        await ok(['serve', '--stop']);

        const remote = await hp(['serve', '--host', '0.0.0.0', '--json']);
        expect(remote.code).toBe(2);
        expect(remote.json().error.message).toMatch(/pass --allow-remote/);
        expect(existsSync(serverFile())).toBe(false);
    });

    it('Ctrl-C of a forwarded command aborts it in the server: exit 14, nothing recorded, the server still serves', async () => {
        const { pid } = await ok(['serve', '--detach']);
        const handle = await open(path.join(project, 'big.bin'), 'w');
        // Sparse: cheap to make, seconds to hash and store, so the interrupt lands mid-upload.
        await handle.truncate(2 * 1024 ** 3);
        await handle.close();
        const child = spawn(process.execPath, [CLI_MAIN, 'record', 'big.bin', '--key', 'models/big', '--json'], { cwd: project });
        let stdout = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        // Interrupt once the server has started writing the object (a temp file in the store).
        const objects = path.join(project, '.hyperprov', 'objects');
        const before = new Set((await readdir(objects, { recursive: true })).map(String));
        await waitUntil(() => readdirSync(objects, { recursive: true }).map(String).some((f) => !before.has(f)), 'the upload to start');
        // It is the server that writes it (the command was forwarded, not run by the client).
        expect(openFiles(pid).some((file) => file.endsWith('big.bin'))).toBe(true);
        expect(openFiles(child.pid!).some((file) => file.endsWith('big.bin'))).toBe(false);
        child.kill('SIGINT');
        expect(await exited).toBe(EXIT_CODES.ABORTED);
        expect(JSON.parse(stdout).error.code).toBe('ABORTED');
        // The server aborted the command and cleaned up after it, as a local run would.
        await waitUntil(() => readdirSync(objects, { recursive: true }).map(String).every((f) => before.has(f)), 'the partial object to be removed');
        const missing = await hp(['get', 'models/big', '--json']);
        expect(missing.code).toBe(EXIT_CODES.NOT_FOUND);
        expect(missing.stderr).not.toMatch(/waiting for the ledger/);
        await rm(path.join(project, 'big.bin'));
        await ok(['serve', '--stop']);
    });

    it('serve --stop leaves no process and no server.json', async () => {
        const { pid } = await ok(['serve', '--detach']);
        expect(isProcessAlive(pid)).toBe(true);
        expect(await ok(['serve', '--stop'])).toEqual({ stopped: true, pid, url: expect.any(String), projectDir: project });
        expect(isProcessAlive(pid)).toBe(false);
        expect(existsSync(serverFile())).toBe(false);
        expect(await ok(['serve', '--stop'])).toEqual({ stopped: false, projectDir: project });
    });

    it('after kill -9 of the server, its stale server.json is ignored and commands run locally', async () => {
        const { pid } = await ok(['serve', '--detach']);
        process.kill(pid, 'SIGKILL');
        await waitUntil(() => !isProcessAlive(pid), 'the killed server to be gone');
        const stale = JSON.parse(await readFile(serverFile(), 'utf8'));
        expect(stale.pid).toBe(pid);
        const run = await hp(['get', 'models/m', '--json']);
        expect(run.code, run.stderr).toBe(0);
        expect(run.json().key).toBe('models/m');
        // A new server takes the stale file's place.
        const { pid: next } = await ok(['serve', '--detach']);
        expect(JSON.parse(await readFile(serverFile(), 'utf8')).pid).toBe(next);
        // And --stop clears a stale file away.
        process.kill(next, 'SIGKILL');
        await waitUntil(() => !isProcessAlive(next), 'the second killed server to be gone');
        expect(existsSync(serverFile())).toBe(true);
        expect(await ok(['serve', '--stop'])).toEqual({ stopped: false, projectDir: project });
        expect(existsSync(serverFile())).toBe(false);
    });
});
