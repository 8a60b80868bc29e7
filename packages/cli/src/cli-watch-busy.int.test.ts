/**
 * `hyperprov watch` through the built binary when things go wrong or get busy: the store goes away
 * while checkpoints keep coming (they queue in the outbox and are recorded once it is back, each
 * once), and eight CLI commands run at once while a project server and a watcher work on the same
 * project (none waits for a lock, none fails, the watcher records every checkpoint).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN, ensureCliBuilt, runHyperprov } from './testing/cli-process.js';

let root: string;
const sha = (bytes: string | Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const children: ChildProcess[] = [];

beforeAll(async () => {
    ensureCliBuilt();
    root = await mkdtemp(path.join(tmpdir(), 'hp-cli-watch-busy-'));
}, 120_000);

afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

afterAll(async () => {
    await rm(root, { recursive: true, force: true });
});

async function project(name: string, ...init: string[]): Promise<string> {
    const dir = path.join(root, name);
    await mkdir(path.join(dir, 'out'), { recursive: true });
    await mkdir(path.join(dir, 'data'));
    await writeFile(path.join(dir, 'data', 'rows.csv'), 'a,b\n');
    const run = await runHyperprov(['init', ...init, '--json'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    return dir;
}

function watch(cwd: string): { events: any[]; child: ChildProcess; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [CLI_MAIN, 'watch', '--models', 'out', '--dataset', 'train=data', '--key', 'models/w', '--run', 'busy', '--settle', '300', '--json'], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const events: any[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => events.push(JSON.parse(line)));
    return { events, child, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

/** A checkpoint written as trainers do with tmp + rename. */
async function checkpoint(dir: string, epoch: number): Promise<string> {
    const bytes = `weights of epoch ${epoch} `.repeat(5000);
    const tmp = path.join(dir, 'out', `.ckpt-epoch${epoch}.pt.tmp`);
    await writeFile(tmp, bytes);
    await rename(tmp, path.join(dir, 'out', `ckpt-epoch${epoch}.pt`));
    return sha(bytes);
}

/** Outbox entries whose last attempt failed with `code`. */
async function failedAttempts(dir: string, code: string): Promise<number> {
    const outbox = path.join(dir, '.hyperprov', 'outbox');
    let count = 0;
    for (const name of await readdir(outbox).catch(() => [] as string[])) {
        const attempt = path.join(outbox, name, 'attempt.json');
        if (existsSync(attempt) && JSON.parse(await readFile(attempt, 'utf8')).error.code === code) count++;
    }
    return count;
}

describe('hyperprov watch, busy or broken', { timeout: 240_000 }, () => {
    it('a store outage while watching: checkpoints queue, retry, and are recorded once when the store is back', async () => {
        const dir = await project('store-outage', '--store', 'store');
        const watcher = watch(dir);
        await until(() => watcher.events.some((e) => e.event === 'ready'), 'the watcher ready');
        const first = await checkpoint(dir, 1);
        await until(() => watcher.events.some((e) => e.event === 'recorded' && e.epoch === 1), 'epoch 1 recorded');
        // The store's directory replaced by a file: every write into it fails.
        const store = path.join(dir, 'store');
        await rename(store, `${store}.away`);
        await writeFile(store, 'not a directory');
        const sums = [first, await checkpoint(dir, 2), await checkpoint(dir, 3)];
        await until(async () => (await failedAttempts(dir, 'STORE_UNAVAILABLE')) + (await failedAttempts(dir, 'IO_ERROR')) >= 1, 'a failed attempt in the outbox');
        expect(watcher.events.some((e) => e.event === 'recorded' && e.epoch === 2)).toBe(false);
        await rm(store);
        await rename(`${store}.away`, store);
        await until(() => watcher.events.some((e) => e.event === 'recorded' && e.epoch === 3), 'epochs 2 and 3 recorded after the outage');
        watcher.child.kill('SIGTERM');
        expect(await watcher.exited).toBe(0);
        const history = (await runHyperprov(['history', 'models/w', '--json'], { cwd: dir })).json<{ items: any[] }>();
        const records = [...history.items].reverse();
        expect(records.map((r) => r.meta.epoch)).toEqual([1, 2, 3]);
        expect(records.map((r) => r.checksum)).toEqual(sums);
        expect(records[2].dependencies).toContain(records[1].id);
        expect((await runHyperprov(['verify', '--all', '--json'], { cwd: dir })).code).toBe(0);
    });

    it('eight CLI commands at once while the project server and a watcher run: no lock waits, no failures, every checkpoint recorded', async () => {
        const dir = await project('busy');
        const started = await runHyperprov(['serve', '--detach', '--json'], { cwd: dir });
        expect(started.code, started.stderr).toBe(0);
        try {
            const watcher = watch(dir);
            await until(() => watcher.events.some((e) => e.event === 'ready'), 'the watcher ready');
            for (let i = 0; i < 4; i++) await writeFile(path.join(dir, `file${i}.bin`), `file ${i}`);
            const sums: string[] = [];
            const training = (async () => {
                for (let epoch = 1; epoch <= 3; epoch++) {
                    sums.push(await checkpoint(dir, epoch));
                    await new Promise((resolve) => setTimeout(resolve, 400));
                }
            })();
            const commands = [
                ['record', 'file0.bin', '--key', 'files/0'],
                ['record', 'file1.bin', '--key', 'files/1'],
                ['record', 'file2.bin', '--key', 'files/2'],
                ['dataset', 'data', '--key', 'datasets/busy'],
                ['epoch', 'file3.bin', '--key', 'models/hook', '--epoch', '0', '--run', 'hook'],
                ['range', '', '', '--all'],
                ['runs'],
                ['status'],
            ];
            const runs = await Promise.all(commands.map((args) => runHyperprov([...args, '--json'], { cwd: dir })));
            for (const [i, run] of runs.entries()) {
                expect(run.code, `${commands[i]!.join(' ')}: ${run.stderr}`).toBe(0);
                expect(run.stderr, commands[i]!.join(' ')).not.toMatch(/waiting for|locked/i);
            }
            await training;
            await until(() => watcher.events.some((e) => e.event === 'recorded' && e.epoch === 3), 'the watcher recorded epoch 3');
            watcher.child.kill('SIGTERM');
            expect(await watcher.exited).toBe(0);
            const history = (await runHyperprov(['history', 'models/w', '--json'], { cwd: dir })).json<{ items: any[] }>();
            expect([...history.items].reverse().map((r) => r.checksum)).toEqual(sums);
            for (let i = 0; i < 3; i++) expect((await runHyperprov(['get', `files/${i}`, '--json'], { cwd: dir })).json<any>().checksum).toBe(sha(`file ${i}`));
        } finally {
            await runHyperprov(['serve', '--stop', '--json'], { cwd: dir });
        }
    });
});
