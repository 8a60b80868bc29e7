// Test files: random bytes (incompressible, like trained weights), generated at run time in the
// bench's temp dir, which sits on the same disk as the servers' data dirs.
import { randomBytes, randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';

const CHUNK = 1 << 20;

/** Writes `size` random bytes to `file`. */
export async function writeRandomFile(file, size) {
    const handle = await open(file, 'w');
    const block = Buffer.allocUnsafe(8 * CHUNK);
    try {
        for (let offset = 0; offset < size; offset += block.length) {
            const n = Math.min(block.length, size - offset);
            randomFillSync(block, 0, n);
            await handle.write(block, 0, n);
        }
    } finally {
        await handle.close();
    }
}

/**
 * Overwrites the first 16 bytes with new random ones: new content (so content-addressed stores
 * cannot skip the upload) and a new mtime (so the hash cache misses), while the rest of the file
 * stays in the page cache. Every timed round starts with this.
 */
export async function mutate(file) {
    const handle = await open(file, 'r+');
    try {
        await handle.write(randomBytes(16), 0, 16, 0);
    } finally {
        await handle.close();
    }
}

/**
 * The file as 1 MiB chunks from a plain read loop, for upload-only runs: no hashing, two buffers
 * (the next read runs while the store writes the current chunk; a store is done with a chunk
 * before it asks for the next one, so the buffers can be reused).
 */
export async function* readChunks(file) {
    const handle = await open(file, 'r');
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    try {
        let index = 0;
        const read = (buffer) => handle.read(buffer, 0, CHUNK, null).then(({ bytesRead }) => buffer.subarray(0, bytesRead));
        let next = read(buffers[index]);
        for (;;) {
            const current = await next;
            if (current.length === 0) break;
            index ^= 1;
            next = read(buffers[index]);
            yield current;
        }
    } finally {
        await handle.close();
    }
}
