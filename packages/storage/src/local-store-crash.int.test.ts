/**
 * Integration: a writer killed with SIGKILL in the middle of a put leaves nothing visible, and
 * the next store opened on the directory removes its temp file and stores the same bytes again.
 * The writer is a real child process using the built package (dist/).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLocalStore } from './local-store.js';

const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

// Streams 64 MiB of a fixed pattern, 1 MiB at a time, then stalls before the end; reports progress.
const WRITER = `
const { createLocalStore } = await import(process.argv[1]);
const store = createLocalStore({ root: process.argv[2] });
const chunk = Buffer.alloc(1 << 20, 7);
async function* body() {
    for (let i = 0; i < 64; i++) yield chunk;
    process.stdout.write('streamed\\n');
    await new Promise(() => {});
}
await store.put(body(), { size: 65 << 20 });
`;

describe('local store crash safety', () => {
    it('a writer killed mid-put leaves no visible object and no temp file after reopen', { timeout: 60_000 }, async () => {
        const root = await mkdtemp(join(tmpdir(), 'hyperprov-crash-'));
        try {
            const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, built, root], { stdio: ['ignore', 'pipe', 'inherit'] });
            await new Promise<void>((resolve, reject) => {
                child.stdout.on('data', (data: Buffer) => data.toString().includes('streamed') && resolve());
                child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
            });
            expect(await readdir(join(root, '.tmp'))).toHaveLength(1); // the partial upload exists…
            child.kill('SIGKILL');
            await new Promise((resolve) => child.on('exit', resolve));

            const store = createLocalStore({ root });
            const visible = [];
            for await (const info of store.list()) visible.push(info);
            expect(visible).toEqual([]); // …but was never visible,
            expect(await readdir(join(root, '.tmp'))).toEqual([]); // and is gone once a store reopens

            const bytes = Buffer.alloc(65 << 20, 7);
            const result = await store.put(Readable.from([bytes]), { size: bytes.byteLength });
            expect(result.checksum).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
            await store.close();
        } finally {
            await rm(root, { recursive: true, force: true });
        }
    });
});
