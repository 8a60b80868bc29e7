/**
 * Integration: a writer killed with SIGKILL in the middle of a put leaves nothing visible, and
 * the next store opened on the directory removes its temp file and stores the same bytes again.
 * So does one killed in the middle of adopting a file: the file keeps its bytes and nothing of it
 * is an object. The writer is a real child process using the built package (dist/).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

// Adopts a file with a checksum that never settles (a hasher still reading), once it is linked.
const ADOPTER = `
const { createLocalStore } = await import(process.argv[1]);
const store = createLocalStore({ root: process.argv[2] });
await store.adopt(process.argv[3], { checksum: new Promise(() => {}), size: Number(process.argv[4]) });
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

    it('a process killed while adopting a file leaves the file intact, no visible object and no temp file after reopen', { timeout: 60_000 }, async () => {
        const root = await mkdtemp(join(tmpdir(), 'hyperprov-crash-'));
        try {
            const file = join(root, 'snapshot');
            const bytes = Buffer.alloc(8 << 20, 9);
            await writeFile(file, bytes);
            const child = spawn(process.execPath, ['--input-type=module', '-e', ADOPTER, built, join(root, 'objects'), file, String(bytes.byteLength)], { stdio: 'inherit' });
            const exited = new Promise((resolve) => child.on('exit', resolve));
            // The adopter is waiting for its checksum once the file has its temp name.
            for (let i = 0; (await readdir(join(root, 'objects', '.tmp')).catch(() => [])).length === 0; i++) {
                if (i > 500) throw new Error('the adopter never linked the file');
                await new Promise((resolve) => setTimeout(resolve, 20));
            }
            child.kill('SIGKILL');
            await exited;

            const store = createLocalStore({ root: join(root, 'objects') });
            const visible = [];
            for await (const info of store.list()) visible.push(info);
            expect(visible).toEqual([]);
            expect(await readdir(join(root, 'objects', '.tmp'))).toEqual([]);
            expect((await readFile(file)).equals(bytes)).toBe(true);
            const sum = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
            const result = await store.adopt!(file, { checksum: sum, size: bytes.byteLength });
            expect(result).toMatchObject({ checksum: sum, skipped: false });
            await store.close();
        } finally {
            await rm(root, { recursive: true, force: true });
        }
    });
});
