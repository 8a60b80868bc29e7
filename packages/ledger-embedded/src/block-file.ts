/**
 * The append-only block file: one block per line (see block.ts). Appends are a single positioned
 * write followed by fdatasync, so a block is durable before any state derived from it is written.
 * A crash can only leave an incomplete last line; opening never changes the file, so a reader
 * leaves such a line alone, and the ledger cuts it off ({@link BlockFile.truncate}) before its
 * next append.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

const NEWLINE = 0x0a;
const READ_CHUNK = 1 << 20;

/** A line of the file with its byte range. */
export interface FileLine {
    offset: number;
    /** The line without its newline. */
    bytes: Buffer;
    /** Offset just past the newline. */
    end: number;
}

/** The block file of one ledger, opened for positioned reads and appends. */
export class BlockFile {
    #handle: FileHandle;
    #size: number;
    readonly path: string;
    readonly #sync: boolean;

    private constructor(path: string, handle: FileHandle, size: number, sync: boolean) {
        this.path = path;
        this.#handle = handle;
        this.#size = size;
        this.#sync = sync;
    }

    /** Opens the file; with `create`, creates it if missing (otherwise a missing file is ENOENT). */
    static async open(path: string, options: { sync: boolean; create: boolean }): Promise<BlockFile> {
        if (options.create) {
            const handle = await open(path, 'a+');
            await handle.close();
        }
        const rw = await open(path, 'r+');
        const { size } = await rw.stat();
        if (size === 0 && options.sync) {
            // A new file must also survive power loss as a directory entry.
            const dir = await open(dirname(path), 'r');
            await dir.sync().finally(() => dir.close());
        }
        return new BlockFile(path, rw, size, options.sync);
    }

    /** Current size in bytes (where the next block goes). */
    get size(): number {
        return this.#size;
    }

    /** Appends bytes at the end and makes them durable (unless opened with sync: false). */
    async append(bytes: Buffer): Promise<number> {
        const offset = this.#size;
        let written = 0;
        while (written < bytes.length) {
            const { bytesWritten } = await this.#handle.write(bytes, written, bytes.length - written, offset + written);
            written += bytesWritten;
        }
        if (this.#sync) await this.#handle.datasync();
        this.#size = offset + bytes.length;
        return offset;
    }

    /** Cuts the file at `offset` (drops a torn tail) and syncs. */
    async truncate(offset: number): Promise<void> {
        await this.#handle.truncate(offset);
        await this.#handle.sync();
        this.#size = offset;
    }

    /** Reads `length` bytes at `offset`. */
    async read(offset: number, length: number): Promise<Buffer> {
        const buffer = Buffer.allocUnsafe(length);
        let done = 0;
        while (done < length) {
            const { bytesRead } = await this.#handle.read(buffer, done, length - done, offset + done);
            if (bytesRead === 0) break;
            done += bytesRead;
        }
        return done === length ? buffer : buffer.subarray(0, done);
    }

    /**
     * Yields complete lines from `offset` up to `limit` (default: the current size) in 1 MiB reads,
     * so memory stays bounded by the largest block. A trailing incomplete line is reported once as
     * `{ torn: offset }` instead of being yielded.
     */
    async *lines(offset = 0, limit?: number): AsyncGenerator<FileLine | { torn: number }> {
        const end = limit ?? this.#size;
        let position = offset;
        let pending: Buffer[] = [];
        let pendingStart = offset;
        while (position < end) {
            const chunk = await this.read(position, Math.min(READ_CHUNK, end - position));
            if (chunk.length === 0) break;
            let from = 0;
            for (;;) {
                const nl = chunk.indexOf(NEWLINE, from);
                if (nl < 0) break;
                const piece = chunk.subarray(from, nl);
                const bytes = pending.length ? Buffer.concat([...pending, piece]) : Buffer.from(piece);
                const lineEnd = position + nl + 1;
                yield { offset: pendingStart, bytes, end: lineEnd };
                pending = [];
                pendingStart = lineEnd;
                from = nl + 1;
            }
            if (from < chunk.length) pending.push(Buffer.from(chunk.subarray(from)));
            position += chunk.length;
        }
        if (pending.length) yield { torn: pendingStart };
    }

    async close(): Promise<void> {
        await this.#handle.close();
    }
}
