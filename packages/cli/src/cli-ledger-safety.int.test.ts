/**
 * The ledger under a careless user (issue 11, item 6), through the built
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
