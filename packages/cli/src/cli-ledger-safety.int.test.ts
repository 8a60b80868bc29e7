/**
 * The ledger under a careless user (issue 11, items 2, 3, 6, 7, 8, 9), through the built
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

describe('item 2: a byte inserted in the middle of the block file', { timeout: 120_000 }, () => {
    it('a read-only status leaves blocks.log untouched; record is refused; verify names the edited block only', async () => {
        const { dir, blocks, hp } = await project();
        await putAll(hp, ['a/1', 'a/2', 'a/3', 'a/4', 'a/5']);
        const original = await readFile(blocks);
        const starts = lineStarts(original);
        expect(starts).toHaveLength(6);
        // An editor that turns one character into two (or a stray keystroke) in block 2.
        const at = starts[2]! + original.subarray(starts[2]!).indexOf('sha256:') + 12;
        const edited = Buffer.concat([original.subarray(0, at), Buffer.from('a'), original.subarray(at)]);
        await writeFile(blocks, edited);

        const status = await hp('status', '--json');
        expect((await readFile(blocks)).equals(edited), 'status changed the block file').toBe(true);
        expect(status.code, status.stdout).toBe(EXIT_CODES.LEDGER_CORRUPT);
        expect(status.stdout).toMatch(/hyperprov verify --ledger/);

        for (const reader of [['get', 'a/1'], ['history', 'a/5'], ['verify', '--ledger']]) {
            await hp(...reader, '--json');
            expect((await readFile(blocks)).equals(edited), `${reader.join(' ')} changed the block file`).toBe(true);
        }

        await writeFile(path.join(dir, 'new.bin'), 'new bytes');
        const record = await hp('record', 'new.bin', '--key', 'a/new', '--json');
        expect(record.code, record.stdout).toBe(EXIT_CODES.LEDGER_CORRUPT);
        expect(errorOf(record).message).toMatch(/hyperprov verify --ledger/);
        expect((await readFile(blocks)).equals(edited), 'a refused record wrote to the block file').toBe(true);

        const verify = await hp('verify', '--ledger', '--json');
        expect(verify.code).toBe(EXIT_CODES.LEDGER_CORRUPT);
        const problems: { block?: number; message: string }[] = verify.json().ledger.problems;
        expect(problems[0]?.block, JSON.stringify(problems)).toBe(2);
        // The untouched blocks after it are not called damaged.
        expect(problems.filter((p) => /unreadable|altered/.test(p.message)).map((p) => p.block)).toEqual([2]);
    });
});

describe('item 3: a missing ledger', { timeout: 120_000 }, () => {
    it('a moved ledger directory is refused, not recreated empty', async () => {
        const { dir, hp } = await project();
        await putAll(hp, ['m/1']);
        const ledger = path.join(dir, '.hyperprov', 'ledger');
        await rename(ledger, `${ledger}.moved`);

        const verify = await hp('verify', '--all', '--ledger', '--json');
        expect(verify.code, verify.stdout).toBe(EXIT_CODES.LEDGER_CORRUPT);
        expect(errorOf(verify).message).toMatch(/ledger.*(missing|does not exist)/);
        expect(errorOf(verify).message).toMatch(/ledger\.dir/);
        const get = await hp('get', 'm/1', '--json');
        expect(get.code).toBe(EXIT_CODES.LEDGER_CORRUPT);
        const put = await hp(...putArgs('m/2'));
        expect(put.code).toBe(EXIT_CODES.LEDGER_CORRUPT);
        await expect(stat(ledger)).rejects.toMatchObject({ code: 'ENOENT' });

        await rename(`${ledger}.moved`, ledger);
        expect((await hp('get', 'm/1', '--json')).code).toBe(0);
    });

    it('a mistyped ledger.dir in the config is refused and creates nothing', async () => {
        const { dir, hp } = await project();
        await putAll(hp, ['t/1']);
        const configPath = path.join(dir, '.hyperprov', 'config.json');
        const config = JSON.parse(await readFile(configPath, 'utf8'));
        config.ledger.dir = 'ledgr';
        await writeFile(configPath, JSON.stringify(config));

        const status = await hp('status', '--json');
        expect(status.code, status.stdout).toBe(EXIT_CODES.LEDGER_CORRUPT);
        expect(errorOf(status).message).toContain('ledgr');
        const put = await hp(...putArgs('t/2'));
        expect(put.code).toBe(EXIT_CODES.LEDGER_CORRUPT);
        await expect(stat(path.join(dir, '.hyperprov', 'ledgr'))).rejects.toMatchObject({ code: 'ENOENT' });
    });
});

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

describe('item 8: many concurrent records', { timeout: 300_000 }, () => {
    it('16 records at once all succeed, each exactly once', async () => {
        const { dir, hp } = await project();
        const n = 16;
        await Promise.all(Array.from({ length: n }, (_, i) => writeFile(path.join(dir, `f${i}.bin`), `file ${i} ${randomBytes(8).toString('hex')}`)));
        const runs = await Promise.all(Array.from({ length: n }, (_, i) => hp('record', `f${i}.bin`, '--key', `many/${i}`, '--json')));
        const failed = runs.filter((run) => run.code !== 0).map((run) => run.stdout.trim() || run.stderr.trim());
        expect(failed).toEqual([]);
        const listed = await hp('range', 'many/', 'many0', '--all', '--json');
        expect(listed.json().items).toHaveLength(n);
    });

    it('a command that finds the ledger busy past the old 2 s waits its turn and says whom it waits for', async () => {
        const { dir, hp } = await project();
        await putAll(hp, ['busy/1']);
        const { openTracker } = await import('@hyperprov/tracker');
        const holder = await openTracker({ dir });
        const get = hp('get', 'busy/1');
        await sleep(3000);
        await holder.close();
        const run = await get;
        expect(run.code, run.stderr).toBe(0);
        expect(run.stderr).toMatch(new RegExp(`waiting for the ledger in .*: in use by process ${process.pid} `));
        expect(run.ms).toBeGreaterThan(2500);
    });
});

describe('item 9: a damaged end of the block file', { timeout: 120_000 }, () => {
    it('a truncated last block: reads refuse, status says what happened, verify names the way out; nothing is cut', async () => {
        const { blocks, hp } = await project();
        await putAll(hp, ['cut/1', 'cut/2', 'cut/3']);
        const original = await readFile(blocks);
        const truncated = original.subarray(0, original.length - 40);
        await writeFile(blocks, truncated);

        const get = await hp('get', 'cut/3', '--json');
        expect(get.code, get.stdout).toBe(EXIT_CODES.LEDGER_CORRUPT);
        expect(errorOf(get).message).toMatch(/block 3/);
        const history = await hp('history', 'cut/3', '--json');
        expect(history.code, history.stdout).toBe(EXIT_CODES.LEDGER_CORRUPT);
        const status = await hp('status', '--json');
        expect(status.code, status.stdout).toBe(EXIT_CODES.LEDGER_CORRUPT);
        expect(status.stdout).toMatch(/truncated/);
        const verify = await hp('verify', '--ledger', '--json');
        expect(verify.code).toBe(EXIT_CODES.LEDGER_CORRUPT);
        const messages = (verify.json().ledger.problems as { message: string }[]).map((p) => p.message).join('\n');
        expect(messages).toMatch(/block 3/);
        expect(messages).not.toMatch(/reopening the ledger cuts it off/);
        expect(messages).toMatch(/backup/);
        expect((await readFile(blocks)).equals(truncated), 'a read changed the block file').toBe(true);
    });

    it('a complete block with a bad hash appended after the last one is kept and reported, not cut', async () => {
        const { dir, blocks, hp } = await project();
        await putAll(hp, ['bad/1', 'bad/2']);
        const original = await readFile(blocks);
        const starts = lineStarts(original);
        const last = original.subarray(starts[starts.length - 1]!).toString('utf8');
        const forged = last.replace(`"number":${starts.length - 1}`, `"number":${starts.length}`);
        expect(forged).not.toBe(last);
        await appendFile(blocks, forged);
        const appended = await readFile(blocks);

        const status = await hp('status', '--json');
        expect((await readFile(blocks)).equals(appended), 'status cut the appended block').toBe(true);
        expect(status.code, status.stdout).toBe(EXIT_CODES.LEDGER_CORRUPT);
        expect(status.stdout).toMatch(new RegExp(`block ${starts.length}`));
        expect((await hp('get', 'bad/2', '--json')).code).toBe(0);
        await writeFile(path.join(dir, 'x.bin'), 'x');
        const record = await hp('record', 'x.bin', '--key', 'bad/3', '--json');
        expect(record.code, record.stdout).toBe(EXIT_CODES.LEDGER_CORRUPT);
        expect((await readFile(blocks)).equals(appended), 'record cut the appended block').toBe(true);
    });

    it('an incomplete last line from a crash: reads leave it and report it, the next write cuts it off', async () => {
        const { dir, blocks, hp } = await project();
        await putAll(hp, ['torn/1', 'torn/2']);
        const original = await readFile(blocks);
        const starts = lineStarts(original);
        const last = original.subarray(starts[starts.length - 1]!);
        await appendFile(blocks, last.subarray(0, Math.floor(last.length / 2)));
        const torn = await readFile(blocks);

        expect((await hp('get', 'torn/2', '--json')).code).toBe(0);
        const status = await hp('status', '--json');
        expect((await readFile(blocks)).equals(torn), 'a read cut the torn tail').toBe(true);
        expect(status.code, status.stdout).toBe(0);
        expect(status.json().ledger.attention?.message).toMatch(/incomplete/);

        await writeFile(path.join(dir, 'y.bin'), 'y');
        const record = await hp('record', 'y.bin', '--key', 'torn/3', '--json');
        expect(record.code, record.stdout + record.stderr).toBe(0);
        const after = await readFile(blocks);
        expect(after.subarray(0, original.length).equals(original)).toBe(true);
        expect(lineStarts(after)).toHaveLength(starts.length + 1);
        const verify = await hp('verify', '--ledger', '--json');
        expect(verify.code, verify.stdout).toBe(0);
    });
});
