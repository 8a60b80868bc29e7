/**
 * The `hyperprov-network` binary as users run it: `up --json` prints one JSON document naming the
 * connection file, `status --json`, stop-node/start-node, `down --wipe`; errors as HyperProv error
 * documents with their exit codes.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopNetwork } from '../network/network.js';

const BIN = fileURLToPath(new URL('../../bin/hyperprov-network.js', import.meta.url));
const BASE_PORT = 20100;
let root: string;
let dir: string;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 }, (error, stdout, stderr) => {
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
    });
}

beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'hyperprov-net-cli-'));
    dir = join(root, 'net');
});

afterAll(async () => {
    await stopNetwork({ dir, wipe: true }).catch(() => {});
    await rm(root, { recursive: true, force: true });
});

describe('hyperprov-network', () => {
    it('up --json prints one JSON document with the connection file', async () => {
        const { code, stdout } = await cli('up', '--dir', dir, '--base-port', String(BASE_PORT), '--json');
        expect(code).toBe(0);
        const result = JSON.parse(stdout) as { action: string; connectionFile: string; running: boolean; basePort: number };
        expect(result).toMatchObject({ action: 'created', connectionFile: join(dir, 'connection.json'), running: true, basePort: BASE_PORT });
        expect(existsSync(result.connectionFile)).toBe(true);
    });

    it('up again is a no-op that reports the status', async () => {
        const { code, stdout } = await cli('up', '--dir', dir, '--json');
        expect(code).toBe(0);
        expect(JSON.parse(stdout)).toMatchObject({ action: 'running', running: true });
    });

    it('status --json lists every node with pid, ports, heights and the leader', async () => {
        const { code, stdout } = await cli('status', '--dir', dir, '--json');
        expect(code).toBe(0);
        const status = JSON.parse(stdout) as { raftLeader: string; nodes: Array<{ name: string; running: boolean; pid: number; height?: number; ports: { listen: number } }> };
        expect(status.nodes).toHaveLength(8);
        expect(status.nodes.every((n) => n.running && n.pid > 0 && n.ports.listen >= BASE_PORT)).toBe(true);
        expect(status.nodes.filter((n) => n.height !== undefined)).toHaveLength(5);
        expect(status.raftLeader).toMatch(/^orderer[123]$/);
    });

    it('stop-node and start-node take a node down and back', async () => {
        const stop = await cli('stop-node', 'ca.org1', '--dir', dir, '--signal', 'TERM');
        expect(stop).toMatchObject({ code: 0, stdout: 'stopped ca.org1\n' });
        const text = await cli('status', '--dir', dir);
        expect(text.stdout).toMatch(/ca\.org1\s+stopped/);
        const start = await cli('start-node', 'ca.org1', '--dir', dir);
        expect(start.code).toBe(0);
        expect(start.stdout).toMatch(/^started ca\.org1 \(pid \d+\)/);
    });

    it('rejects an unknown node, with the error document and INVALID_ARGUMENT exit code', async () => {
        const { code, stdout } = await cli('stop-node', 'peer9', '--dir', dir, '--json');
        expect(code).toBe(2);
        expect(JSON.parse(stdout)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    });

    it('refuses a different base port for an existing network', async () => {
        const { code, stderr } = await cli('up', '--dir', dir, '--base-port', '20900');
        expect(code).toBe(2);
        expect(stderr).toMatch(/base port 20100/);
    });

    it('down --wipe stops everything and removes the folder', async () => {
        const { code, stdout } = await cli('down', '--dir', dir, '--wipe', '--json');
        expect(code).toBe(0);
        expect(JSON.parse(stdout)).toMatchObject({ wiped: true });
        expect(existsSync(dir)).toBe(false);
    });
});
