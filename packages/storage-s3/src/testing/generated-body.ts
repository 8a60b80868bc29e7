/** Deterministic large bodies for tests, generated chunk by chunk (never held whole in memory). */
import { createHash, randomBytes } from 'node:crypto';

const MiB = 1024 * 1024;

export interface GeneratedBody {
    size: number;
    /** `sha256:<hex>` of the whole body. */
    checksum: string;
    /**
     * A fresh iterable of the body's chunks; `beforeChunk(i, offset)` may stall, abort or throw.
     * With `reuse`, every chunk is written into the same buffer (allowed: a store must be done with a
     * chunk before it asks for the next), so the body itself allocates nothing.
     */
    chunks(beforeChunk?: (index: number, offset: number) => void | Promise<void>, reuse?: boolean): AsyncGenerator<Uint8Array>;
}

/** `size` bytes in chunks of `chunkSize`: one random block, stamped with the chunk index so parts differ. */
export function generatedBody(size: number, chunkSize = MiB): GeneratedBody {
    const block = randomBytes(chunkSize);
    const chunkAt = (index: number, offset: number, slot?: Buffer): Buffer => {
        const length = Math.min(chunkSize, size - offset);
        const chunk = slot ? slot.subarray(0, length) : Buffer.allocUnsafe(length);
        block.copy(chunk, 0, 0, length);
        if (chunk.length >= 8) chunk.writeBigUInt64BE(BigInt(index), 0);
        return chunk;
    };
    const hash = createHash('sha256');
    for (let offset = 0, index = 0; offset < size; offset += chunkSize, index++) hash.update(chunkAt(index, offset));
    return {
        size,
        checksum: `sha256:${hash.digest('hex')}`,
        async *chunks(beforeChunk, reuse = false) {
            const slot = reuse ? Buffer.allocUnsafe(chunkSize) : undefined;
            for (let offset = 0, index = 0; offset < size; offset += chunkSize, index++) {
                await beforeChunk?.(index, offset);
                yield chunkAt(index, offset, slot);
            }
        },
    };
}
