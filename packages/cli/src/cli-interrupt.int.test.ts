/**
 * Ctrl-C in the middle of `hyperprov record`: the built binary aborts the upload, exits with
 * ABORTED, and leaves nothing behind — no record, no object, no temp file. The same for SIGTERM
 * and SIGHUP (a closed terminal or ssh session).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '@hyperprov/errors';
import { CLI_MAIN, ensureCliBuilt, runHyperprov } from './testing/cli-process.js';

let project: string;

beforeAll(async () => {
    ensureCliBuilt();
    project = await mkdtemp(path.join(tmpdir(), 'hp-cli-interrupt-'));
    expect((await runHyperprov(['init', '--json'], { cwd: project })).code).toBe(0);
    // 2 GiB sparse: cheap to create, and reading + storing it takes seconds, so the interrupt
    // surely lands during the upload.
    const handle = await open(path.join(project, 'big.bin'), 'w');
    await handle.truncate(2 * 1024 ** 3);
    await handle.close();
}, 180_000);

afterAll(async () => {
    await rm(project, { recursive: true, force: true });
});

async function entries(dir: string): Promise<string[]> {
    return (await readdir(dir, { recursive: true }).catch(() => [])).map(String);
}

describe('hyperprov record of a big file', { timeout: 120_000 }, () => {
    it('lets other commands use the ledger while its bytes upload', async () => {
        await runHyperprov(['put', '--key', 'small', '--checksum', `sha256:${'5'.repeat(64)}`, '--location', 'https://e/x', '--pointer', 'p', '--size', '1'], { cwd: project });
        const objects = path.join(project, '.hyperprov', 'objects');
        const child = spawn(process.execPath, [CLI_MAIN, 'record', 'big.bin', '--key', 'models/big', '--json'], { cwd: project });
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        const deadline = Date.now() + 60_000;
        while (!(await entries(path.join(objects, '.tmp'))).length) {
            if (Date.now() > deadline) throw new Error('the upload never started');
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
        // The upload is running in the other process: a query still gets the ledger.
        const get = await runHyperprov(['get', 'small', '--json'], { cwd: project });
        expect(get.code, get.stdout).toBe(0);
        const uploading = (await entries(path.join(objects, '.tmp'))).length > 0;
        child.kill('SIGINT');
        expect(await exited).toBe(EXIT_CODES.ABORTED);
        // Meaningful only if the query ran while the upload was still going.
        expect(uploading).toBe(true);
    });
});

describe('hyperprov record interrupted', { timeout: 120_000 }, () => {
    it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s during the upload exits ABORTED and stores and records nothing', async (signal) => {
        const objects = path.join(project, '.hyperprov', 'objects');
        const child = spawn(process.execPath, [CLI_MAIN, 'record', 'big.bin', '--key', 'models/big', '--json'], { cwd: project });
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        // Interrupt once the upload has started: its temp file exists.
        const deadline = Date.now() + 60_000;
        while (!(await entries(path.join(objects, '.tmp'))).length) {
            if (Date.now() > deadline) throw new Error('the upload never started');
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
        child.kill(signal);
        expect(await exited).toBe(EXIT_CODES.ABORTED);
        expect(JSON.parse(stdout).error.code).toBe('ABORTED');

        expect(await entries(path.join(objects, '.tmp'))).toEqual([]);
        expect(await entries(path.join(objects, 'sha256'))).toEqual([]);
        const status = await runHyperprov(['status', '--json'], { cwd: project });
        expect(status.json().ledger.height).toBe('2');
        expect((await runHyperprov(['get', 'models/big', '--json'], { cwd: project })).code).toBe(EXIT_CODES.NOT_FOUND);
    });
});

describe('hyperprov record when its terminal goes away', { timeout: 120_000 }, () => {
    // A real pseudo-terminal (util-linux `script`): the record draws its progress bar on it, then
    // the terminal is closed under it, as when an ssh session drops. The kernel sends SIGHUP and
    // every later write to the terminal fails with EIO.
    it.skipIf(!existsSync('/usr/bin/script'))('cleans up its temp file and records nothing', async () => {
        const objects = path.join(project, '.hyperprov', 'objects');
        const command = `exec '${process.execPath}' '${CLI_MAIN}' record big.bin --key models/hangup`;
        const terminal = spawn('script', ['-qfec', command, '/dev/null'], { cwd: project, stdio: 'pipe' });
        const deadline = Date.now() + 60_000;
        while (!(await entries(path.join(objects, '.tmp'))).length) {
            if (Date.now() > deadline) throw new Error('the upload never started');
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
        // Let the progress bar draw at least once (it redraws every 200 ms).
        await new Promise((resolve) => setTimeout(resolve, 500));
        terminal.kill('SIGKILL');
        // The record process is not our child: wait for its temp file to go.
        const gone = Date.now() + 30_000;
        while ((await entries(path.join(objects, '.tmp'))).length) {
            if (Date.now() > gone) throw new Error('the temp file of the hung-up record was left behind');
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(await entries(path.join(objects, 'sha256'))).toEqual([]);
        // The ledger is free again once the process has exited; until then get may wait or fail.
        let get = await runHyperprov(['get', 'models/hangup', '--json'], { cwd: project });
        for (let i = 0; i < 20 && get.code === EXIT_CODES.LEDGER_UNAVAILABLE; i++) get = await runHyperprov(['get', 'models/hangup', '--json'], { cwd: project });
        expect(get.code).toBe(EXIT_CODES.NOT_FOUND);
    });
});
