/**
 * The project's own files are not data: `record` refuses anything inside `.hyperprov/` (the
 * identity's private key, the config, the ledger), however it is reached — directly, through a
 * symbolic link, or as a hard link elsewhere. And stored objects are never readable by more
 * users than the project directory lets in: no world access, whatever the source file's mode.
 */
import { chmod, link, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { EXIT_CODES } from '@hyperprov/errors';
import { ensureCliBuilt, runHyperprov, type CliRun } from './testing/cli-process.js';

let root: string;
let project: string;
const hp = (...args: string[]): Promise<CliRun> => runHyperprov(args, { cwd: project });

async function storedObjects(dir = project): Promise<string[]> {
    return (await readdir(path.join(dir, '.hyperprov', 'objects', 'sha256'), { recursive: true }).catch(() => [])).map(String);
}

async function height(): Promise<string> {
    return (await hp('status', '--json')).json<{ ledger: { height: string } }>().ledger.height;
}

beforeAll(async () => {
    ensureCliBuilt();
    root = await mkdtemp(path.join(tmpdir(), 'hp-cli-secrets-'));
    project = path.join(root, 'project');
    expect((await runHyperprov(['init', '--dir', project, '--json'], { cwd: root })).code).toBe(0);
}, 180_000);

afterAll(async () => {
    await rm(root, { recursive: true, force: true });
});

describe('record refuses the project’s own files', { timeout: 60_000 }, () => {
    const key = path.join('.hyperprov', 'identity', 'key.pem');

    async function expectRefused(file: string, message: RegExp): Promise<void> {
        const before = await height();
        const run = await hp('record', file, '--key', 'leak', '--json');
        expect(run.code, run.stdout + run.stderr).toBe(EXIT_CODES.INVALID_ARGUMENT);
        expect(run.json().error.message).toMatch(message);
        const human = await hp('record', file, '--key', 'leak');
        expect(human.stderr).toMatch(/\nhint: /);
        expect(await storedObjects()).toEqual([]);
        expect(await height()).toBe(before);
    }

    it('the identity’s private key, by its path', async () => {
        await expectRefused(key, /inside the project's \.hyperprov\/ \(identity\/key\.pem\)/);
        await expectRefused(path.join(project, key), /inside the project's \.hyperprov\//);
    });

    it('the config and the ledger', async () => {
        await expectRefused(path.join('.hyperprov', 'config.json'), /\.hyperprov\/ \(config\.json\)/);
        const ledgerFiles = (await readdir(path.join(project, '.hyperprov', 'ledger'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
        const one = path.join(ledgerFiles[0]!.parentPath, ledgerFiles[0]!.name);
        await expectRefused(one, /inside the project's \.hyperprov\//);
    });

    it('the key through a symbolic link, and through a symlinked .hyperprov folder', async () => {
        await symlink(path.join(project, key), path.join(project, 'innocent.pem'));
        await expectRefused('innocent.pem', /innocent\.pem is inside the project's \.hyperprov\/ \(identity\/key\.pem\)/);
        await symlink(path.join(project, '.hyperprov'), path.join(root, 'hp-link'));
        await expectRefused(path.join(root, 'hp-link', 'identity', 'key.pem'), /inside the project's \.hyperprov\//);
    });

    it('the key as a hard link outside .hyperprov/', async () => {
        await mkdir(path.join(project, 'data'), { recursive: true });
        await link(path.join(project, key), path.join(project, 'data', 'weights.bin'));
        await expectRefused(path.join('data', 'weights.bin'), /is a hard link to the project's \.hyperprov\/identity\/key\.pem/);
    });

    it('still records ordinary files, hard-linked ones included', async () => {
        await writeFile(path.join(project, 'data', 'a.bin'), 'ordinary bytes');
        await link(path.join(project, 'data', 'a.bin'), path.join(project, 'data', 'a-link.bin'));
        const run = await hp('record', path.join('data', 'a-link.bin'), '--key', 'data/a', '--json');
        expect(run.code, run.stdout + run.stderr).toBe(0);
    });
});

describe('stored objects are no more readable than the project', { timeout: 60_000 }, () => {
    /** Mode bits of every directory and object of the project's store. */
    async function storeModes(dir: string): Promise<{ dirs: number[]; files: number[] }> {
        const objects = path.join(dir, '.hyperprov', 'objects');
        const dirs = [(await stat(objects)).mode & 0o777];
        const files: number[] = [];
        for (const entry of await readdir(objects, { recursive: true, withFileTypes: true })) {
            const info = await stat(path.join(entry.parentPath, entry.name));
            (entry.isDirectory() ? dirs : files).push(info.mode & 0o777);
        }
        return { dirs, files };
    }

    it.each([
        [0o700, 0o400, 0o700],
        [0o750, 0o440, 0o750],
        [0o755, 0o440, 0o750],
    ])('project directory %o: objects %o, store folders at most %o, for a world-readable source', async (projectMode, objectMode, dirMode) => {
        const dir = path.join(root, `modes-${projectMode.toString(8)}`);
        await mkdir(dir);
        await chmod(dir, projectMode);
        expect((await runHyperprov(['init', '--json'], { cwd: dir })).code).toBe(0);
        await writeFile(path.join(dir, 'model.pt'), `model for ${projectMode}`);
        await chmod(path.join(dir, 'model.pt'), 0o644);
        const run = await runHyperprov(['record', 'model.pt', '--key', 'm', '--json'], { cwd: dir });
        expect(run.code, run.stdout + run.stderr).toBe(0);
        const record = run.json<ProvenanceRecord>();
        expect((await stat(path.join(dir, '.hyperprov', 'objects', record.pointer))).mode & 0o777).toBe(objectMode);
        const modes = await storeModes(dir);
        expect(modes.files.every((mode) => (mode & ~objectMode) === 0), modes.files.map((m) => m.toString(8)).join(' ')).toBe(true);
        expect(modes.dirs.every((mode) => (mode & ~dirMode) === 0), modes.dirs.map((m) => m.toString(8)).join(' ')).toBe(true);
        // Still readable by the owner: fetch and verify work.
        expect((await runHyperprov(['verify', '--all', '--json'], { cwd: dir })).code).toBe(0);
    });
});
