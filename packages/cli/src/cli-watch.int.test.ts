/**
 * `hyperprov watch` as a real process beside a real trainer process: a Python script writing
 * zip checkpoints the way torch.save does (streamed, in chunks) and rotating old ones away. The
 * watcher is killed with SIGKILL mid-run and started again; in the end every checkpoint is on
 * the ledger exactly once, with the bytes the trainer finished, depending on both dataset
 * manifests and on the previous epoch. Then SIGINT drains and exits 0, and --json prints events.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '@hyperprov/errors';
import { CLI_MAIN, ensureCliBuilt } from './testing/cli-process.js';
import { projectCli } from './testing/project-cli.js';

const PYTHON = spawnSync('python3', ['--version']).status === 0;

/** A trainer: epochs 1..N, each a stored zip streamed in chunks with pauses; keeps the newest KEEP. */
const TRAINER = `
import hashlib, json, os, sys, time, zipfile
out, epochs, keep, sums_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sums = {}
for e in range(1, epochs + 1):
    path = os.path.join(out, 'ckpt-epoch%d.pt' % e)
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as z:
        with z.open('archive/data/0', 'w') as f:
            for _ in range(8):
                f.write(os.urandom(128 * 1024))
                f.flush()
                time.sleep(0.05)
        z.writestr('archive/version', '3\\n')
    with open(path, 'rb') as f:
        sums[e] = 'sha256:' + hashlib.sha256(f.read()).hexdigest()
    if e > keep:
        os.remove(os.path.join(out, 'ckpt-epoch%d.pt' % (e - keep)))
    with open(sums_file + '.tmp', 'w') as f:
        json.dump(sums, f)
    os.replace(sums_file + '.tmp', sums_file)
    time.sleep(1.0)
`;

let project: string;
const { ok } = projectCli(() => project);

beforeAll(async () => {
    ensureCliBuilt();
    project = await mkdtemp(path.join(tmpdir(), 'hp-cli-watch-'));
    await ok('init');
    for (const [name, files] of [['train', 3], ['test', 2]] as const) {
        await mkdir(path.join(project, 'data', name), { recursive: true });
        for (let i = 0; i < files; i++) await writeFile(path.join(project, 'data', name, `img${i}.jpg`), `${name}-${i}`);
    }
    await mkdir(path.join(project, 'out'));
    await writeFile(path.join(project, 'trainer.py'), TRAINER);
}, 120_000);

afterAll(async () => {
    await rm(project, { recursive: true, force: true });
});

/** A running `hyperprov watch --json`, its parsed event lines, and its exit. */
function watch(...extra: string[]): { child: ChildProcess; events: any[]; exited: Promise<number | null>; stderr: () => string } {
    return watchIn(project, ...extra);
}

function watchIn(cwd: string, ...extra: string[]): { child: ChildProcess; events: any[]; exited: Promise<number | null>; stderr: () => string } {
    const args = [CLI_MAIN, 'watch', '--models', 'out', '--dataset', 'train=data/train', '--dataset', 'test=data/test', '--run', 'r1', '--settle', '400', '--json', ...extra];
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const events: any[] = [];
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout! }).on('line', (line) => events.push(JSON.parse(line)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, events, exited, stderr: () => stderr };
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

describe.skipIf(!PYTHON)('hyperprov watch', { timeout: 180_000 }, () => {
    it('killed with SIGKILL mid-run and restarted: every finished checkpoint recorded once, with its datasets and previous epoch', async () => {
        const epochs = 6;
        const sumsFile = path.join(project, 'sums.json');
        const trainer = spawn('python3', ['trainer.py', 'out', String(epochs), '3', sumsFile], { cwd: project, stdio: 'inherit' });
        const trained = new Promise<number | null>((resolve) => trainer.on('exit', (code) => resolve(code)));

        const first = watch();
        await until(() => first.events.filter((e) => e.event === 'queued').length >= 2, `two checkpoints queued (stderr: ${first.stderr()})`);
        first.child.kill('SIGKILL');
        expect(await first.exited).toBe(null);
        // Restarted at once, as a supervisor would: the trainer kept writing meanwhile.
        const second = watch();
        await until(() => second.events.some((e) => e.event === 'ready'), 'the restarted watcher ready');
        expect(await trained).toBe(0);
        const sums = JSON.parse(await readFile(sumsFile, 'utf8')) as Record<string, string>;
        // The newest checkpoint settles and is handed over (epochs 1-3 may have been rotated away
        // and are recorded from the outbox the killed watcher left).
        await until(() => second.events.some((e) => e.event === 'queued' && e.epoch === epochs), `epoch ${epochs} handed over`);
        second.child.kill('SIGINT');
        expect(await second.exited, second.stderr()).toBe(0);
        const stopped = second.events.at(-1);
        expect(stopped).toMatchObject({ event: 'stopped', done: true, pending: [] });

        const history = await ok<{ items: any[] }>('history', 'models/ckpt');
        const records = [...history.items].reverse();
        expect(records.map((r) => r.meta.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
        // Nothing partial: each record holds the bytes the trainer finished.
        expect(records.map((r) => r.checksum)).toEqual(Array.from({ length: epochs }, (_, i) => sums[String(i + 1)]));
        const train = await ok<any>('get', 'datasets/data/train');
        const test = await ok<any>('get', 'datasets/data/test');
        for (const [i, record] of records.entries()) {
            const expected = [train.id, test.id, ...(i > 0 ? [records[i - 1].id] : [])];
            expect([...record.dependencies].sort(), `epoch ${i + 1}`).toEqual(expected.sort());
            expect(record.meta.run).toBe('r1');
        }
        // The outbox is empty: nothing is left to record twice at a later start.
        const again = watch();
        await until(() => again.events.some((e) => e.event === 'ready'), 'third start ready');
        // The three files still there: their bytes are on the ledger under this key (skipped), or their entry is (a duplicate).
        await until(() => again.events.filter((e) => e.event === 'skipped' || e.event === 'recorded').length >= 3, 'the three files still there seen again');
        again.child.kill('SIGTERM');
        expect(await again.exited).toBe(0);
        expect(again.events.filter((e) => e.event === 'recorded' && !e.duplicate)).toEqual([]);
        expect(again.events.filter((e) => e.event === 'queued').map((e) => e.model)).toEqual([]);
        expect((await ok<{ items: any[] }>('history', 'models/ckpt')).items).toHaveLength(epochs);
    });

    it('a dataset that changes is manifested again; the next checkpoint depends on the new manifest', async () => {
        const run = watch('--key', 'models/ds-test');
        await until(() => run.events.some((e) => e.event === 'ready'), 'ready');
        await writeFile(path.join(project, 'data', 'train', 'img9.jpg'), 'new image');
        await until(() => run.events.some((e) => e.event === 'dataset' && e.name === 'train' && e.status === 'changed'), 're-manifest', 30_000);
        const manifest = run.events.filter((e) => e.event === 'dataset' && e.name === 'train').at(-1);
        const data = createHash('sha256').update('x').digest();
        await writeFile(path.join(project, 'out', 'after-epoch7.pt'), data);
        await until(() => run.events.some((e) => e.event === 'recorded' && e.epoch === 7), 'epoch 7 recorded');
        expect(run.events.find((e) => e.event === 'recorded' && e.epoch === 7)?.datasets.train).toBe(manifest.id);
        run.child.kill('SIGINT');
        expect(await run.exited).toBe(0);
    });

    it('SIGINT with an entry that cannot commit in the drain time exits with TIMEOUT and names it', async () => {
        const run = watch('--key', 'models/slow', '--drain-timeout', '0');
        await until(() => run.events.some((e) => e.event === 'ready'), 'ready');
        // 1 GiB (sparse: cheap to make): hashing and storing it takes seconds, longer than a zero drain time.
        const handle = await open(path.join(project, 'out', 'slow-epoch1.onnx'), 'w');
        await handle.truncate(1024 ** 3);
        await handle.close();
        await until(() => run.events.some((e) => e.event === 'queued' && e.model === 'out/slow-epoch1.onnx'), 'queued');
        run.child.kill('SIGINT');
        expect(await run.exited).toBe(EXIT_CODES.TIMEOUT);
        const stopped = run.events.at(-1);
        expect(stopped.event).toBe('stopped');
        expect(stopped.done).toBe(false);
        expect(stopped.pending.map((p: any) => p.key)).toEqual(['models/slow']);
        expect(existsSync(path.join(project, '.hyperprov', 'outbox'))).toBe(true);
        // The next start records it, once: from the outbox, and its scan finds those bytes recorded (or meets the same entry).
        const next = watch('--key', 'models/slow');
        await until(() => next.events.some((e) => (e.event === 'skipped' || e.event === 'recorded') && e.model === 'out/slow-epoch1.onnx'), 'the slow checkpoint seen again');
        next.child.kill('SIGINT');
        expect(await next.exited).toBe(0);
        expect((await ok<{ items: any[] }>('history', 'models/slow')).items).toHaveLength(1);
    });

    it('with a project server running, records through it; other commands answer meanwhile', async () => {
        const dir = await mkdtemp(path.join(tmpdir(), 'hp-cli-watch-server-'));
        const cli = projectCli(() => dir);
        try {
            await cli.ok('init');
            for (const name of ['train', 'test']) {
                await mkdir(path.join(dir, 'data', name), { recursive: true });
                await writeFile(path.join(dir, 'data', name, 'a.jpg'), name);
            }
            await mkdir(path.join(dir, 'out'));
            expect((await cli.hp('serve', '--detach')).code).toBe(0);
            const run = watchIn(dir);
            await until(() => run.events.some((e) => e.event === 'ready'), 'ready');
            expect(run.events[0]).toMatchObject({ event: 'note', message: expect.stringContaining('project server') });
            for (const epoch of [1, 2]) await writeFile(path.join(dir, 'out', `s-epoch${epoch}.pt`), `weights ${epoch}`);
            await until(() => run.events.filter((e) => e.event === 'recorded').length === 2, 'two recorded');
            // A read while the watcher runs: served by the server, at once.
            const history = await cli.ok<{ items: any[] }>('history', 'models/s');
            expect(history.items.map((r) => r.meta.epoch)).toEqual([2, 1]);
            expect(history.items[0].dependencies).toContain(history.items[1].id);
            run.child.kill('SIGINT');
            expect(await run.exited).toBe(0);
        } finally {
            await cli.hp('serve', '--stop');
            await rm(dir, { recursive: true, force: true });
        }
    });
});
