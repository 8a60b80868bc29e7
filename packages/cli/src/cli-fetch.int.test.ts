/**
 * Where `hyperprov fetch` may write, through the built binary: only a new file or an existing
 * regular file (with --force). FIFOs, devices, sockets, symbolic links and directories at the
 * destination are refused and left as they were; an empty destination and a directory that
 * cannot be written are usage errors (exit 2), never INTERNAL.
 */
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '@hyperprov/errors';
import { ensureCliBuilt, runHyperprov, type CliRun } from './testing/cli-process.js';

let project: string;
const hp = (...args: string[]): Promise<CliRun> => runHyperprov(args, { cwd: project });
const bytes = 'model bytes\n';

beforeAll(async () => {
    ensureCliBuilt();
    project = await mkdtemp(path.join(tmpdir(), 'hp-cli-fetch-'));
    expect((await hp('init', '--json')).code).toBe(0);
    await writeFile(path.join(project, 'model.pt'), bytes);
    const run = await hp('record', 'model.pt', '--key', 'models/model.pt', '--json');
    expect(run.code, run.stdout + run.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
    await rm(project, { recursive: true, force: true });
});

/** Runs fetch with --json and checks the one error document it must print. */
async function expectRefused(args: string[], code: 'INVALID_ARGUMENT', message: RegExp): Promise<void> {
    const run = await hp('fetch', ...args, '--json');
    expect(run.code, run.stdout + run.stderr).toBe(EXIT_CODES[code]);
    expect(run.json().error.code).toBe(code);
    expect(run.json().error.message).toMatch(message);
    const human = await hp('fetch', ...args);
    expect(human.code).toBe(EXIT_CODES[code]);
    expect(human.stderr).toMatch(/\nhint: /);
}

/** No temp file of ours anywhere in `dir`. */
async function expectNoTempFiles(dir: string): Promise<void> {
    expect((await readdir(dir)).filter((name) => name.includes('.hyperprov-'))).toEqual([]);
}

describe('hyperprov fetch destinations', { timeout: 60_000 }, () => {
    it('refuses an empty destination instead of writing ./<basename>', async () => {
        await expectRefused(['models/model.pt', ''], 'INVALID_ARGUMENT', /output path is empty/);
        // Nothing new in the working directory, where '' would have resolved to.
        expect((await readdir(project)).sort()).toEqual(['.hyperprov', 'model.pt']);
    });

    it('refuses to replace a FIFO, even with --force, and leaves it a FIFO', async () => {
        const fifo = path.join(project, 'out-fifo');
        execFileSync('mkfifo', [fifo]);
        try {
            await expectRefused(['models/model.pt', fifo, '--force'], 'INVALID_ARGUMENT', /is a FIFO/);
            expect((await lstat(fifo)).isFIFO()).toBe(true);
            await expectNoTempFiles(project);
        } finally {
            await rm(fifo, { force: true });
        }
    });

    it('refuses to replace a character device, even with --force (as root: a copy of /dev/null)', async (ctx) => {
        if (process.getuid?.() !== 0) ctx.skip(); // only root can make device nodes
        const dir = await mkdtemp(path.join(tmpdir(), 'hp-cli-fetch-dev-'));
        const device = path.join(dir, 'null');
        try {
            execFileSync('mknod', [device, 'c', '1', '3']);
            await expectRefused(['models/model.pt', device, '--force'], 'INVALID_ARGUMENT', /is a character device/);
            expect((await lstat(device)).isCharacterDevice()).toBe(true);
            await expectNoTempFiles(dir);
        } finally {
            await rm(dir, { recursive: true, force: true });
        }
    });

    it('refuses a symbolic link at the destination, and leaves the link and its target alone', async () => {
        const target = path.join(project, 'linked-target.txt');
        const link = path.join(project, 'out-link');
        await writeFile(target, 'keep me');
        await symlink(target, link);
        try {
            await expectRefused(['models/model.pt', link, '--force'], 'INVALID_ARGUMENT', /is a symbolic link/);
            await expectRefused(['models/model.pt', link], 'INVALID_ARGUMENT', /is a symbolic link/);
            expect(await readlink(link)).toBe(target);
            expect(await readFile(target, 'utf8')).toBe('keep me');
        } finally {
            await rm(link, { force: true });
            await rm(target, { force: true });
        }
    });

    it('refuses to write onto a directory (the key’s name inside the destination is a directory)', async () => {
        const out = path.join(project, 'out-dir');
        await mkdir(path.join(out, 'model.pt'), { recursive: true });
        try {
            await expectRefused(['models/model.pt', out, '--force'], 'INVALID_ARGUMENT', /is a directory/);
            await expectRefused(['models/model.pt', out], 'INVALID_ARGUMENT', /is a directory/);
            expect((await lstat(path.join(out, 'model.pt'))).isDirectory()).toBe(true);
        } finally {
            await rm(out, { recursive: true, force: true });
        }
    });

    it('reports a directory it cannot write into as a usage error (exit 2), not INTERNAL', async (ctx) => {
        const dir = path.join(project, 'read-only');
        await mkdir(dir);
        // Root ignores permission bits: a read-only bind mount is unwritable for root too.
        let mounted = false;
        if (process.getuid?.() === 0) {
            try {
                execFileSync('mount', ['--bind', dir, dir]);
                mounted = true;
                execFileSync('mount', ['-o', 'remount,ro,bind', dir]);
            } catch {
                if (mounted) execFileSync('umount', [dir]);
                ctx.skip(); // no mount privilege in this container
            }
        } else {
            execFileSync('chmod', ['0555', dir]);
        }
        try {
            await expectRefused(['models/model.pt', path.join(dir, 'model.pt')], 'INVALID_ARGUMENT', /cannot write into .*(read-only|permission denied)/);
            await expectRefused(['models/model.pt', dir], 'INVALID_ARGUMENT', /cannot write into .*(read-only|permission denied)/);
            expect(await readdir(dir)).toEqual([]);
        } finally {
            if (mounted) execFileSync('umount', [dir]);
            else execFileSync('chmod', ['0755', dir]);
            await rm(dir, { recursive: true, force: true });
        }
    });

    it('still replaces a regular file with --force, and writes a new one', async () => {
        const file = path.join(project, 'out-file.pt');
        await writeFile(file, 'old');
        const run = await hp('fetch', 'models/model.pt', file, '--force', '--json');
        expect(run.code, run.stdout).toBe(0);
        expect(await readFile(file, 'utf8')).toBe(bytes);
        const fresh = await hp('fetch', 'models/model.pt', path.join(project, 'new', 'model.pt'), '--json');
        expect(fresh.code, fresh.stdout).toBe(0);
        expect(await readFile(path.join(project, 'new', 'model.pt'), 'utf8')).toBe(bytes);
    });
});
