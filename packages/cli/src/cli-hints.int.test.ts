/**
 * Hints a CLI user can follow, through the built binary: each message names commands and options
 * the CLI has, and where it says what to run, running that works.
 */
import { cp, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '@hyperprov/errors';
import { ensureCliBuilt, runHyperprov, type CliRun } from './testing/cli-process.js';

let root: string;
let project: string;
const hp = (args: readonly string[], cwd = project): Promise<CliRun> => runHyperprov(args, { cwd });
/** Error message and hint of a failed --json run, as one text. */
async function failure(args: readonly string[], code: number, cwd = project): Promise<string> {
    const run = await hp([...args, '--json'], cwd);
    expect(run.code, run.stdout + run.stderr).toBe(code);
    const { message, hint } = run.json().error;
    return `${message}\nhint: ${hint}`;
}

beforeAll(async () => {
    ensureCliBuilt();
    root = await mkdtemp(path.join(tmpdir(), 'hp-cli-hints-'));
    project = path.join(root, 'project');
    expect((await hp(['init', '--dir', project], root)).code).toBe(0);
    await writeFile(path.join(project, 'f.bin'), 'bytes');
}, 180_000);

afterAll(async () => {
    await rm(root, { recursive: true, force: true });
});

/** A copy of the project to damage. */
async function copyProject(name: string): Promise<string> {
    const dir = path.join(root, name);
    await cp(project, dir, { recursive: true });
    return dir;
}

describe('hyperprov hints', { timeout: 60_000 }, () => {
    it('an unknown command points to `hyperprov --help`, not to `hyperprov <unknown> --help`', async () => {
        for (const args of [['bogus'], ['--dir', '.', 'bogus', 'x']]) {
            const text = await failure(args, EXIT_CODES.INVALID_ARGUMENT);
            expect(text).not.toContain('hyperprov bogus');
            expect(text).toMatch(/unknown command "bogus"; `hyperprov --help` lists the commands/);
        }
        // A known command with a bad option still gets that command's help.
        expect(await failure(['get', 'k', '--colour', 'red'], EXIT_CODES.INVALID_ARGUMENT)).toContain('`hyperprov get --help`');
    });

    it('--store given twice says so, not that the URL is empty', async () => {
        const text = await failure(['record', 'f.bin', '--key', 'k', '--store', 'a', '--store', 'b'], EXIT_CODES.INVALID_ARGUMENT);
        expect(text).toMatch(/--store was given 2 times; give it once/);
        expect(text).not.toMatch(/empty/);
    });

    it('an unknown key names the CLI command that lists keys, not a contract function', async () => {
        for (const args of [['get', 'nosuch'], ['history', 'nosuch'], ['check', 'f.bin', '--key', 'nosuch']]) {
            const text = await failure(args, EXIT_CODES.NOT_FOUND);
            expect(text).not.toMatch(/getByRange|getKeyHistory/);
            expect(text).toContain('`hyperprov range "" ""`');
        }
    });

    it('a bad --dep is named as --dep, not as the SDK field dependencies[0]', async () => {
        for (const command of [['record', 'f.bin'], ['put', '--checksum', `sha256:${'1'.repeat(64)}`, '--location', 'https://e/x', '--pointer', 'p', '--size', '1']]) {
            const text = await failure([...command, '--key', 'k', '--dep', 'k', '--dep', ''], EXIT_CODES.INVALID_ARGUMENT);
            expect(text).not.toContain('dependencies[');
            expect(text).toMatch(/--dep is empty; give a record id, or a key/);
        }
    });

    it('.hyperprov/ without config.json: says exactly that, and following the hint works', async () => {
        const dir = await copyProject('no-config');
        await rm(path.join(dir, '.hyperprov', 'config.json'));
        const text = await failure(['status'], EXIT_CODES.NOT_INITIALIZED, dir);
        expect(text).not.toMatch(/no \.hyperprov\/ found/);
        expect(text).toContain(`${path.join(dir, '.hyperprov', 'config.json')} is missing`);
        // The hint: restore it, or move .hyperprov aside and init. Moving aside and init works
        // (init refuses while .hyperprov exists, so "just run hyperprov init" would not).
        expect(text).toMatch(/move .*\.hyperprov.* aside.*`hyperprov init`/);
        expect((await hp(['init', '--json'], dir)).code).toBe(EXIT_CODES.ALREADY_EXISTS);
        await rename(path.join(dir, '.hyperprov'), path.join(dir, '.hyperprov.broken'));
        expect((await hp(['init', '--json'], dir)).code).toBe(0);
    });

    it.each([
        ['a config that is not JSON', '.hyperprov/config.json', '{ not json'],
        ['a config with a bad field', '.hyperprov/config.json', '{"version": 99}'],
        ['an unusable identity', '.hyperprov/identity/key.pem', 'not a key'],
    ])('%s: no "recreate it with hyperprov init" while init would refuse', async (name, file, content) => {
        const dir = await copyProject(name.replace(/\W+/g, '-'));
        await writeFile(path.join(dir, file), content);
        const run = await hp(['status', '--json'], dir);
        expect(run.code).not.toBe(0);
        const { message } = run.json().error;
        expect(message).not.toMatch(/(recreate|create a new one)[^;]*with `hyperprov init`|; run `hyperprov init`$/);
        expect(message).toMatch(/restore .* from a backup/);
        if (message.includes('hyperprov init')) expect(message).toMatch(/move .*\.hyperprov.* aside/);
    });
});
