/**
 * Keys that could be spoofed or silently merged, through the built binary: one name typed in NFC
 * or NFD is one key; invisible, direction-changing and line-separating characters are refused;
 * bytes that are not valid UTF-8 (in an argument or a dataset file name) are refused by name
 * instead of collapsing to U+FFFD.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '@hyperprov/errors';
import { CLI_MAIN, ensureCliBuilt } from './testing/cli-process.js';
import { projectCli } from './testing/project-cli.js';

let project: string;
const { hp, ok } = projectCli(() => project);
const height = async (): Promise<string> => (await ok('status')).ledger.height;

const NFC = 'models/caf\u00e9';
const NFD = 'models/cafe\u0301';

beforeAll(async () => {
    ensureCliBuilt();
    project = await mkdtemp(path.join(tmpdir(), 'hp-cli-keys-'));
    await ok('init');
    await writeFile(path.join(project, 'v1.bin'), 'version 1');
    await writeFile(path.join(project, 'v2.bin'), 'version 2');
}, 180_000);

afterAll(async () => {
    await rm(project, { recursive: true, force: true });
});

describe('hyperprov keys', { timeout: 60_000 }, () => {
    it('a name typed in NFD and in NFC is one key, stored in NFC', async () => {
        const first = await ok('record', 'v1.bin', '--key', NFD);
        expect(first.key).toBe(NFC);
        const second = await ok('record', 'v2.bin', '--key', NFC);
        expect(second.key).toBe(NFC);
        expect((await ok('get', NFD)).id).toBe(second.id);
        expect((await ok('history', NFD)).items.map((r: { id: string }) => r.id)).toEqual([second.id, first.id]);
        expect((await ok('range', '', '')).items.map((r: { key: string }) => r.key)).toEqual([NFC]);
    });

    it.each([
        ['a right-to-left override', 'models/\u202Egpj.exe', 'U+202E'],
        ['a zero-width space', 'models/a\u200Bb', 'U+200B'],
        ['a zero-width joiner', 'models/a\u200Db', 'U+200D'],
        ['a line separator', 'models/a\u2028b', 'U+2028'],
        ['a paragraph separator', 'models/a\u2029b', 'U+2029'],
    ])('a key with %s is refused, naming the character', async (_name, key, codePoint) => {
        const before = await height();
        const run = await hp('record', 'v1.bin', '--key', key, '--json');
        expect(run.code, run.stdout + run.stderr).toBe(EXIT_CODES.INVALID_ARGUMENT);
        expect(run.json().error.message).toContain(codePoint);
        // The message must not carry the character itself: printed, it would spoof the message.
        expect(run.json().error.message).not.toContain(key.replace(/^models\//, ''));
        expect(await height()).toBe(before);
    });

    it('a --key argument that is not valid UTF-8 is refused, not recorded as U+FFFD', async () => {
        const before = await height();
        // Node decodes argv as UTF-8 with U+FFFD for bad bytes; a shell passes the raw 0xE9 byte.
        const run = await promisify(execFile)('sh', ['-c', `"${process.execPath}" "${CLI_MAIN}" record v1.bin --key "$(printf 'models/caf\\351')" --json`], {
            cwd: project,
        }).then(
            () => ({ code: 0, stdout: '' }),
            (error: { code: number; stdout: string }) => error,
        );
        expect(run.code).toBe(EXIT_CODES.INVALID_ARGUMENT);
        expect(JSON.parse(run.stdout).error.message).toMatch(/U\+FFFD .*not valid UTF-8/);
        expect(await height()).toBe(before);
    });
});

describe('hyperprov dataset file names', { timeout: 60_000 }, () => {
    const latin1 = (name: string, byte: number): Buffer => Buffer.concat([Buffer.from(name), Buffer.from([byte])]);

    it('a file name that is not valid UTF-8 is refused, naming its bytes', async () => {
        const dir = path.join(project, 'bad-file');
        await mkdir(dir);
        await writeFile(path.join(dir, 'ok.txt'), 'fine');
        // Latin-1 "café" and "cafþ": two names Node would both read as "caf\uFFFD".
        await writeFile(Buffer.concat([Buffer.from(`${dir}/`), latin1('caf', 0xe9)]), 'latin-1 name');
        const before = await height();
        const run = await hp('dataset', 'bad-file', '--key', 'datasets/bad-file', '--json');
        expect(run.code, run.stdout + run.stderr).toBe(EXIT_CODES.INVALID_ARGUMENT);
        const message: string = run.json().error.message;
        expect(message).toContain('caf\\xe9');
        expect(message).toMatch(/not valid UTF-8/);
        expect(message).not.toContain('\uFFFD');
        expect(await height()).toBe(before);
    });

    it('a directory name that is not valid UTF-8 is refused by name, not reported as vanished', async () => {
        const dir = path.join(project, 'bad-dir');
        await mkdir(dir);
        await mkdir(Buffer.concat([Buffer.from(`${dir}/`), latin1('d', 0xff)]));
        await writeFile(Buffer.concat([Buffer.from(`${dir}/`), latin1('d', 0xff), Buffer.from('/x.txt')]), 'inside');
        const run = await hp('dataset', 'bad-dir', '--key', 'datasets/bad-dir', '--json');
        expect(run.code, run.stdout + run.stderr).toBe(EXIT_CODES.INVALID_ARGUMENT);
        expect(run.json().error.message).toContain('d\\xff');
        expect(run.json().error.message).toMatch(/not valid UTF-8/);
    });

    it('a file really named with U+FFFD (valid UTF-8) is data like any other', async () => {
        const dir = path.join(project, 'replacement-char');
        await mkdir(dir);
        await writeFile(path.join(dir, 'caf\uFFFD.txt'), 'a real U+FFFD in the name');
        expect(await readdir(dir)).toEqual(['caf\uFFFD.txt']);
        const result = await ok('dataset', 'replacement-char', '--key', 'datasets/replacement-char');
        expect(result).toMatchObject({ status: 'changed', count: 1 });
        expect((await ok('verify', 'datasets/replacement-char', '--against', 'replacement-char')).ok).toBe(true);
    });
});
