/**
 * kill -9 of a process in the middle of writing a large object to the SSHFS store: no object may
 * become visible, and the next user of the store removes the dead writer's temp file.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSshfsStore } from './sshfs-store.js';

const shared = inject('sshfs');
const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'testing', 'put-child.mjs');
const SIZE = 512 * 1024 * 1024;

async function listAll(dir: string): Promise<string[]> {
    return (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe('kill -9 while writing a large object', () => {
    const name = `crash-${randomUUID()}`;
    let dir: string;
    beforeAll(async () => {
        dir = path.join(shared.mountpoint, name);
        await mkdir(dir);
    });
    afterAll(async () => {
        await rm(dir, { recursive: true, force: true });
    });

    it('leaves no visible object, and the next open cleans the partial temp file', async () => {
        expect(existsSync(path.join(here, '..', 'dist', 'index.js')), 'build the package first (npm run build)').toBe(true);
        const child = spawn(process.execPath, [CHILD, dir, String(SIZE)], { stdio: ['ignore', 'pipe', 'inherit'] });
        const killedAt = await new Promise<number>((resolve, reject) => {
            let output = '';
            child.stdout.on('data', (data: Buffer) => {
                output += data.toString();
                const written = Math.max(0, ...[...output.matchAll(/progress (\d+)\n/g)].map((match) => Number(match[1])));
                if (written >= 32 << 20 && child.signalCode === null) {
                    child.kill('SIGKILL');
                    resolve(written);
                }
                if (output.includes('done') && child.signalCode === null) reject(new Error('the child finished before it could be killed'));
            });
            child.on('exit', (code, signal) => {
                if (signal !== 'SIGKILL') reject(new Error(`child exited early: ${code ?? signal}`));
            });
        });
        await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
        expect(killedAt).toBeLessThan(SIZE);

        // Looked at from the server: the partial bytes exist only as a temp file, no object.
        const remote = path.join(shared.remoteDir, name);
        const files = await listAll(remote);
        expect(files.filter((file) => file.startsWith('sha256/'))).toEqual([]);
        expect(files.filter((file) => file.startsWith('.tmp/'))).toHaveLength(1);

        const store = await createSshfsStore({ mountpoint: dir });
        try {
            const listed: string[] = [];
            for await (const info of store.list()) listed.push(info.pointer);
            expect(listed).toEqual([]);
            // The same data again, this time completely: stored once, and the dead writer's temp file is gone.
            const again = await store.put(Readable.from([Buffer.from('next writer')]));
            await expect(store.exists(again.pointer)).resolves.toBe(true);
            expect((await listAll(remote)).filter((file) => file.startsWith('.tmp/'))).toEqual([]);
        } finally {
            await store.close();
        }
    });
});
