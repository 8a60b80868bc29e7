/**
 * The ledger under a careless user (issue 11, items 6, 7), through the built
 * `hyperprov` binary as child processes on real files: a read never changes the block file, a
 * damaged or missing ledger is refused with a way out, a project never writes into another, and
 * concurrent commands queue instead of failing.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, open, readFile, readlink, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '@hyperprov/errors';
import { CLI_MAIN, ensureCliBuilt, runHyperprov, type CliRun } from './testing/cli-process.js';

const roots: string[] = [];

beforeAll(() => {
    ensureCliBuilt();
}, 180_000);

afterAll(async () => {
    await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

/** A fresh initialised project; `hp` runs the CLI in it. */
async function project(): Promise<{ dir: string; blocks: string; hp: (...args: string[]) => Promise<CliRun> }> {
    const dir = await mkdtemp(path.join(tmpdir(), 'hp-cli-ledger-'));
    roots.push(dir);
    const hp = (...args: string[]): Promise<CliRun> => runHyperprov(args, { cwd: dir });
    const init = await hp('init', '--json');
    expect(init.code, init.stdout + init.stderr).toBe(0);
    return { dir, blocks: path.join(dir, '.hyperprov', 'ledger', 'blocks.log'), hp };
}

/** Records metadata only (no hashing), so setting up a few blocks is quick. */
function putArgs(key: string): string[] {
    return ['put', '--key', key, '--checksum', `sha256:${randomBytes(32).toString('hex')}`, '--location', 'https://example.com/x', '--pointer', key, '--size', '1', '--json'];
}

async function putAll(hp: (...args: string[]) => Promise<CliRun>, keys: string[]): Promise<void> {
    for (const key of keys) {
        const run = await hp(...putArgs(key));
        expect(run.code, run.stdout + run.stderr).toBe(0);
    }
}

/** Byte offset of the start of each line of the block file. */
function lineStarts(bytes: Buffer): number[] {
    const starts = [0];
    for (let nl = bytes.indexOf(10); nl >= 0 && nl + 1 < bytes.length; nl = bytes.indexOf(10, nl + 1)) starts.push(nl + 1);
    return starts;
}

function errorOf(run: CliRun): { code: string; message: string } {
    return run.json<{ error: { code: string; message: string } }>().error;
}

describe('item 6: a child project whose config is missing', { timeout: 120_000 }, () => {
    it('is an error naming the child, and nothing reaches the parent ledger', async () => {
        const parent = await project();
        const child = path.join(parent.dir, 'child');
        await mkdir(path.join(child, '.hyperprov', 'ledger'), { recursive: true });
        await writeFile(path.join(child, 'model.bin'), 'child bytes');
        const before = await readFile(parent.blocks);

        const withDir = await parent.hp('record', path.join(child, 'model.bin'), '--key', 'child/model', '--dir', child, '--json');
        expect(withDir.code, withDir.stdout).toBe(EXIT_CODES.NOT_INITIALIZED);
        expect(errorOf(withDir).message).toContain(path.join(child, '.hyperprov'));
        expect(errorOf(withDir).message).toMatch(/config\.json/);
        // The hint must be one that can be followed: init refuses while .hyperprov exists.
        expect(errorOf(withDir).message).not.toMatch(/no \.hyperprov\/ found/);

        const inside = await runHyperprov(['put', ...putArgs('child/put').slice(1)], { cwd: child });
        expect(inside.code, inside.stdout).toBe(EXIT_CODES.NOT_INITIALIZED);
        expect((await readFile(parent.blocks)).equals(before), 'the parent ledger was written').toBe(true);
    });
});

describe('item 7: verify --all while others use the ledger', { timeout: 180_000 }, () => {
    it('does not hold the ledger while it re-hashes objects', async () => {
        const { dir, hp } = await project();
        const big = path.join(dir, 'big.bin');
        const handle = await open(big, 'w');
        await handle.truncate(256 * 1024 ** 2);
        await handle.close();
        const recorded = await hp('record', 'big.bin', '--key', 'models/big', '--json');
        expect(recorded.code, recorded.stdout + recorded.stderr).toBe(0);
        await rm(big);
        const objects = path.join(dir, '.hyperprov', 'objects');

        const verify = spawn(process.execPath, [CLI_MAIN, 'verify', '--all', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
        let verifyOut = '';
        verify.stdout.on('data', (chunk: Buffer) => (verifyOut += chunk.toString()));
        const verifyExit = new Promise<number | null>((resolve) => verify.on('exit', (code) => resolve(code)));
        // Freeze verify while it has the stored object open, i.e. in the middle of hashing.
        const deadline = Date.now() + 60_000;
        let hashing = false;
        while (!hashing) {
            if (Date.now() > deadline) throw new Error('verify never opened the stored object');
            for (const fd of await readdir(`/proc/${verify.pid}/fd`).catch(() => [])) {
                const target = await readlink(`/proc/${verify.pid}/fd/${fd}`).catch(() => '');
                if (target.startsWith(objects) && !target.includes('.tmp')) hashing = true;
            }
            if (!hashing) await sleep(2);
        }
        verify.kill('SIGSTOP');
        // If the reader waits for the frozen verify, let verify go on after a while so the test ends.
        const thaw = setTimeout(() => verify.kill('SIGCONT'), 15_000);
        try {
            const get = await hp('get', 'models/big', '--json');
            const put = await hp(...putArgs('during/verify'));
            expect(get.code, get.stdout + get.stderr).toBe(0);
            expect(put.code, put.stdout + put.stderr).toBe(0);
            expect(get.ms + put.ms).toBeLessThan(15_000);
        } finally {
            clearTimeout(thaw);
            verify.kill('SIGCONT');
        }
        expect(await verifyExit, verifyOut).toBe(0);
        expect(JSON.parse(verifyOut).objects.checked).toBeGreaterThanOrEqual(1);
    });
});
