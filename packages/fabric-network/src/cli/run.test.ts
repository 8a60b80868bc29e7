import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run.js';

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
    return { code, stdout, stderr };
}

describe('hyperprov-network arguments', () => {
    it('prints usage for --help (exit 0) and without a command (INVALID_ARGUMENT)', async () => {
        expect(await run('--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: hyperprov-network') });
        expect((await run()).code).toBe(2);
    });

    it('rejects an unknown command and an unknown option with INVALID_ARGUMENT', async () => {
        expect(await run('launch')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "launch"') });
        const json = await run('status', '--colour', '--json');
        expect(json.code).toBe(2);
        expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'INVALID_ARGUMENT', exitCode: 2 } });
    });

    it('checks --base-port and --signal before doing anything', async () => {
        expect(await run('up', '--base-port', 'x')).toMatchObject({ code: 2, stderr: expect.stringContaining('--base-port must be a number') });
        expect(await run('stop-node', 'peer0.org1', '--signal', 'HUP')).toMatchObject({ code: 2, stderr: expect.stringContaining('--signal must be KILL, TERM or INT') });
        expect((await run('stop-node')).code).toBe(2);
        expect(await run('up', '--batch-timeout', '20ms')).toMatchObject({ code: 2, stderr: expect.stringContaining('--batch-timeout must be a number of milliseconds') });
    });

    it('refuses a batch timeout out of range before creating anything', async () => {
        const dir = await mkdtemp(join(tmpdir(), 'hyperprov-cli-'));
        try {
            expect(await run('up', '--dir', dir, '--batch-timeout', '0')).toMatchObject({ code: 2, stderr: expect.stringContaining('from 1 to 10000, got 0') });
            expect((await readdir(dir)).filter((name) => name !== '.lock')).toEqual([]);
        } finally {
            await rm(dir, { recursive: true, force: true });
        }
    });

    it('reports a folder without a network', async () => {
        const dir = await mkdtemp(join(tmpdir(), 'hyperprov-cli-'));
        try {
            expect(await run('status', '--dir', dir)).toMatchObject({ code: 0, stdout: `no network in ${dir}\n` });
            expect(JSON.parse((await run('status', '--dir', dir, '--json')).stdout)).toMatchObject({ exists: false, running: false, nodes: [] });
            expect((await run('stop-node', 'orderer1', '--dir', dir)).code).toBe(9); // NOT_INITIALIZED
            expect(await run('down', '--dir', dir)).toMatchObject({ code: 0, stdout: 'stopped 0 node(s)\n' });
        } finally {
            await rm(dir, { recursive: true, force: true });
        }
    });
});
