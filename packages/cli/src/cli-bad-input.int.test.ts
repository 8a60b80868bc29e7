/**
 * Bad input through the built `hyperprov` binary: each case gets a clear error, its own exit
 * code, exactly one JSON document with --json, and leaves nothing behind (ledger height and
 * stored objects unchanged).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackerErrorCode } from '@hyperprov/errors';
import { EXIT_CODES } from '@hyperprov/errors';
import { CLI_MAIN, ensureCliBuilt, runHyperprov, type CliRun } from './testing/cli-process.js';

let project: string;
let base: { id: string };
const hp = (...args: string[]): Promise<CliRun> => runHyperprov(args, { cwd: project });
const hyperprovCommand = `"${process.execPath}" "${CLI_MAIN}"`;
/** Runs a shell command line in the project (for redirections); never rejects on a non-zero exit. */
const shell = (line: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    promisify(execFile)('sh', ['-c', line], { cwd: project }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
    );

/** Ledger height, read in-process (the CLI runs have exited, so the ledger is free). */
async function height(): Promise<string> {
    const { openTracker } = await import('@hyperprov/tracker');
    const tracker = await openTracker({ dir: project });
    try {
        return (await tracker.status()).ledger.height;
    } finally {
        await tracker.close();
    }
}

async function storedObjects(): Promise<string[]> {
    const root = path.join(project, '.hyperprov', 'objects', 'sha256');
    return (await readdir(root, { recursive: true }).catch(() => [])).map(String).sort();
}

beforeAll(async () => {
    ensureCliBuilt();
    project = await mkdtemp(path.join(tmpdir(), 'hp-cli-bad-'));
    expect((await hp('init', '--json')).code).toBe(0);
    await writeFile(path.join(project, 'good.bin'), 'good bytes');
    await writeFile(path.join(project, 'fresh.bin'), 'bytes never stored before');
    const run = await hp('record', 'good.bin', '--key', 'data/good', '--json');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    base = run.json();
    // 1 MiB of meta: too big for the ledger, and too big for a command line (Linux caps one
    // argument at 128 KiB), so it goes in through --meta @file.
    await writeFile(path.join(project, 'big-meta.json'), JSON.stringify({ blob: 'x'.repeat(1 << 20) }));
    await writeFile(path.join(project, 'inexact-meta.json'), '{"ok": 1.5, "id": 12345678901234567890}');
}, 180_000);

afterAll(async () => {
    await rm(project, { recursive: true, force: true });
});

const fresh = (...extra: string[]) => ['record', 'fresh.bin', '--key', 'data/fresh', ...extra];
const put = (...extra: string[]) => ['put', '--key', 'data/put', '--location', 'https://example.com/x', '--pointer', 'p', '--size', '10', ...extra];
const CHECKSUM = `sha256:${'1'.repeat(64)}`;

const cases: [name: string, args: string[], code: TrackerErrorCode, message: RegExp][] = [
    ['an unknown dependency id (record)', fresh('--dep', 'f'.repeat(64)), 'DEPENDENCY_NOT_FOUND', /dependency "f{64}" is neither a record id nor a recorded key/],
    ['an unknown dependency id (put)', put('--checksum', CHECKSUM, '--dep', 'no-such-record'), 'DEPENDENCY_NOT_FOUND', /no-such-record/],
    ['a malformed checksum', put('--checksum', 'sha256:XYZ'), 'INVALID_ARGUMENT', /checksum "sha256:XYZ" is malformed; it must be 'sha256:' followed by 64 lowercase hex digits/],
    ['an uppercase checksum', put('--checksum', `sha256:${'A'.repeat(64)}`), 'INVALID_ARGUMENT', /malformed/],
    ['1 MB of --meta', fresh('--meta', '@big-meta.json'), 'INVALID_ARGUMENT', /meta is 10485\d\d bytes; the limit is 65536 — store large metadata as a file/],
    ['a key with a control character', ['record', 'fresh.bin', '--key', 'data/a\u0001b'], 'INVALID_ARGUMENT', /NUL or control character/],
    ['a key with a .. segment', ['record', 'fresh.bin', '--key', 'data/../etc'], 'INVALID_ARGUMENT', /'\.\.' segment/],
    ['a key with a leading /', ['record', 'fresh.bin', '--key', '/etc/passwd'], 'INVALID_ARGUMENT', /starts or ends with '\/'/],
    ['a missing file', ['record', 'no-such.bin', '--key', 'data/missing'], 'NOT_FOUND', /no-such\.bin does not exist/],
    ['a directory instead of a file', ['record', '.', '--key', 'data/dir'], 'INVALID_ARGUMENT', /not a regular file/],
    ['invalid JSON in --meta', fresh('--meta', '{epoch: 3'), 'INVALID_ARGUMENT', /--meta is not valid JSON/],
    ['a JSON array in --meta', fresh('--meta', '[1,2]'), 'INVALID_ARGUMENT', /must be a JSON object/],
    ['a missing --meta file', fresh('--meta', '@nope.json'), 'INVALID_ARGUMENT', /cannot read --meta file nope\.json/],
    ['an integer beyond 2^53 in --meta', fresh('--meta', '{"n":9007199254740993}'), 'INVALID_ARGUMENT', /--meta: the number 9007199254740993 cannot be stored exactly/],
    ['-0 in --meta', fresh('--meta', '{"a":[1,{"b":-0.0}]}'), 'INVALID_ARGUMENT', /--meta: the number -0\.0 .*stored as 0/],
    ['a float with more digits than a double holds', fresh('--meta', '{"lr":0.30000000000000001}'), 'INVALID_ARGUMENT', /0\.30000000000000001 cannot be stored exactly: the nearest number is 0\.3;/],
    ['a float that underflows to 0', fresh('--meta', '{"eps":1e-400}'), 'INVALID_ARGUMENT', /1e-400 cannot be stored exactly: the nearest number is 0;/],
    ['a number too large for a double', fresh('--meta', '{"n":1e400}'), 'INVALID_ARGUMENT', /1e400 is too large/],
    ['an inexact number in a --meta file', fresh('--meta', '@inexact-meta.json'), 'INVALID_ARGUMENT', /--meta file inexact-meta\.json: the number 12345678901234567890/],

    ['a transformation without dependencies', fresh('--type', 'transformation'), 'INVALID_ARGUMENT', /transformation/],
    ['a negative size', ['put', '--key', 'data/put', '--location', 'https://example.com/x', '--pointer', 'p', '--checksum', CHECKSUM, '--size', '-1'], 'INVALID_ARGUMENT', /--size/],
    ['put without a size the store cannot tell', ['put', '--key', 'data/put', '--location', 'https://example.com/x', '--pointer', 'p', '--checksum', CHECKSUM], 'INVALID_ARGUMENT', /give the size \(--size\)/],
    ['--meta given twice', fresh('--meta', '{"a":1}', '--meta', '{"b":2}'), 'INVALID_ARGUMENT', /--meta was given 2 times; give it once/],
    ['--dir given twice', ['get', 'data/good', '--dir', '.', '--dir', '.'], 'INVALID_ARGUMENT', /--dir was given 2 times; give it once/],
    ['--key given twice', ['record', 'fresh.bin', '--key', 'data/a', '--key', 'data/b'], 'INVALID_ARGUMENT', /--key was given 2 times; give it once/],
    ['a missing required option', ['record', 'fresh.bin'], 'INVALID_ARGUMENT', /Missing required argument: key/],
    ['an unknown option', fresh('--colour', 'red'), 'INVALID_ARGUMENT', /Unknown argument/],
    ['an unknown command', ['frobnicate'], 'INVALID_ARGUMENT', /unknown command "frobnicate"; `hyperprov --help` lists the commands/],
    ['a page size of 0', ['range', '', '', '--page-size', '0'], 'INVALID_ARGUMENT', /--page-size "0" is invalid/],
    ['verify with both a target and --all', ['verify', 'data/good', '--all'], 'INVALID_ARGUMENT', /either a key\/id or --all/],
];

describe('hyperprov bad input', { timeout: 60_000 }, () => {
    it.each(cases)('%s: clear error, its exit code, nothing recorded', async (_name, args, code, message) => {
        const heightBefore = await height();
        const objectsBefore = await storedObjects();

        const json = await hp(...args, '--json');
        expect(json.code).toBe(EXIT_CODES[code]);
        const doc = json.json();
        expect(Object.keys(doc)).toEqual(['error']);
        expect(doc.error.code).toBe(code);
        expect(doc.error.message).toMatch(message);
        expect(json.stderr).toBe('');

        const human = await hp(...args);
        expect(human.code).toBe(EXIT_CODES[code]);
        expect(human.stdout).toBe('');
        expect(human.stderr).toMatch(new RegExp(`^error \\[${code}\\]: `));
        expect(human.stderr).toMatch(/\nhint: /);

        expect(await height()).toBe(heightBefore);
        expect(await storedObjects()).toEqual(objectsBefore);
    });

    it('a key containing NUL is refused through the SDK (a command line cannot carry NUL)', async () => {
        const { openTracker } = await import('@hyperprov/tracker');
        const tracker = await openTracker({ dir: project });
        try {
            const before = (await tracker.status()).ledger.height;
            const objects = await storedObjects();
            await expect(tracker.record(path.join(project, 'fresh.bin'), { key: 'data/a\u0000b' })).rejects.toMatchObject({
                code: 'INVALID_ARGUMENT',
                message: expect.stringMatching(/NUL or control character/),
            });
            await expect(tracker.put({ key: 'x\u0000', checksum: CHECKSUM, size: 1, location: 'https://e/x', pointer: 'p' })).rejects.toMatchObject({
                code: 'INVALID_ARGUMENT',
            });
            expect((await tracker.status()).ledger.height).toBe(before);
            expect(await storedObjects()).toEqual(objects);
        } finally {
            await tracker.close();
        }
    });

    it('meta numbers that cannot be stored exactly are refused through the SDK too', async () => {
        const { openTracker } = await import('@hyperprov/tracker');
        const tracker = await openTracker({ dir: project });
        try {
            const before = (await tracker.status()).ledger.height;
            for (const [meta, message] of [
                [{ n: -0 }, /meta\.n is -0/],
                [{ n: 2 ** 53 + 2 }, /meta\.n is 9007199254740994, beyond/],
                [{ n: Infinity }, /meta\.n is Infinity, which JSON cannot hold/],
            ] as const) {
                await expect(tracker.put({ key: 'data/sdk-meta', checksum: CHECKSUM, size: 1, location: 'https://e/x', pointer: 'p', meta })).rejects.toMatchObject({
                    code: 'INVALID_ARGUMENT',
                    message: expect.stringMatching(message),
                });
            }
            expect((await tracker.status()).ledger.height).toBe(before);
        } finally {
            await tracker.close();
        }
    });

    it('stdout on a full disk is an I/O error naming stdout, not a bug', async () => {
        for (const args of ['get data/good', 'history data/good', 'history data/good --json']) {
            // A shell redirect, as a user would write it: node gets /dev/full as its stdout.
            const run = await shell(`${hyperprovCommand} ${args} > /dev/full`);
            expect(run.code, `${args}: ${run.stderr}`).toBe(EXIT_CODES.IO_ERROR);
            expect(run.stderr).toMatch(/^error \[IO_ERROR\]: cannot write to standard output \(ENOSPC: no space left on device\)/);
            expect(run.stderr).toMatch(/\nhint: /);
            expect(run.stderr).not.toMatch(/INTERNAL|bug/);
        }
    });

    it('a command that prints nothing on stdout keeps its own exit code when stdout is a full disk', async () => {
        // Human errors go to stderr: with nothing to write, a full stdout is no failure.
        const run = await shell(`${hyperprovCommand} history data/none > /dev/full`);
        expect(run.code, run.stderr).toBe(EXIT_CODES.NOT_FOUND);
        expect(run.stderr).toMatch(/^error \[NOT_FOUND\]: /);
        expect(run.stderr).not.toMatch(/IO_ERROR/);
    });

    it('queries of unknown keys and ids say NOT_FOUND', async () => {
        for (const args of [['get', 'data/none'], ['show', 'f'.repeat(64)], ['lineage', 'nope'], ['fetch', 'data/none', 'out.bin']]) {
            const run = await hp(...args, '--json');
            expect(run.code, args.join(' ')).toBe(EXIT_CODES.NOT_FOUND);
            expect(run.json().error.code).toBe('NOT_FOUND');
        }
    });

    it('a command outside any project says to run init', async () => {
        const elsewhere = await mkdtemp(path.join(tmpdir(), 'hp-cli-none-'));
        try {
            const run = await runHyperprov(['get', 'x', '--json'], { cwd: elsewhere });
            expect(run.code).toBe(EXIT_CODES.NOT_INITIALIZED);
            expect(run.json().error.message).toMatch(/hyperprov init/);
        } finally {
            await rm(elsewhere, { recursive: true, force: true });
        }
    });

    it('--meta numbers that are stored exactly are kept as written, strings that look like numbers untouched', async () => {
        const meta = '{"lr":0.1,"e":1e2,"neg":-5,"max":9007199254740991,"one":1.0,"tiny":5e-324,"text":"-0 9007199254740993 1e400"}';
        const run = await hp(...put('--checksum', CHECKSUM, '--meta', meta, '--json'));
        expect(run.code, run.stdout + run.stderr).toBe(0);
        expect(run.json().meta).toEqual({ lr: 0.1, e: 100, neg: -5, max: 9007199254740991, one: 1, tiny: 5e-324, text: '-0 9007199254740993 1e400' });
    });

    it('a recorded dependency by id or by key is accepted', async () => {
        const byId = await hp(...fresh('--dep', base.id, '--json'));
        expect(byId.code, byId.stdout).toBe(0);
        expect(byId.json().dependencies).toEqual([base.id]);
        const byKey = await hp(...put('--checksum', CHECKSUM, '--dep', 'data/good', '--json'));
        expect(byKey.code, byKey.stdout).toBe(0);
        expect(byKey.json().dependencies).toEqual([base.id]);
    });
});
