/**
 * Cuts a put body (chunks of any size) into parts by copying it into caller-owned, reused buffers.
 * Copying once is unavoidable (parts must be contiguous and callers may reuse a chunk's memory as
 * soon as the next one is requested), but it is the only copy: parts go to the socket as they are.
 */
import { Readable } from 'node:stream';
import { StoreError } from '@hyperprov/storage';
import type { Interruption } from './interruption.js';

export type PutBody = Readable | AsyncIterable<Uint8Array>;

export class PartReader {
    readonly #body: PutBody;
    readonly #iterator: AsyncIterator<Uint8Array | string>;
    readonly #interruption: Interruption;
    #pending: Uint8Array | undefined;
    #done = false;

    constructor(body: PutBody, interruption: Interruption) {
        this.#body = body;
        this.#iterator = (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
        this.#interruption = interruption;
    }

    /** Fills `buffer` from the body; returns the bytes written (less than its length only at the end). */
    async fill(buffer: Uint8Array): Promise<number> {
        let filled = 0;
        while (filled < buffer.length) {
            if (!(await this.#ensurePending())) break;
            const chunk = this.#pending!;
            const n = Math.min(chunk.length, buffer.length - filled);
            buffer.set(n === chunk.length ? chunk : chunk.subarray(0, n), filled);
            filled += n;
            this.#pending = n < chunk.length ? chunk.subarray(n) : undefined;
        }
        return filled;
    }

    /** True once every byte of the body has been consumed (reads ahead one chunk if needed). */
    async atEnd(): Promise<boolean> {
        return !(await this.#ensurePending());
    }

    /** Releases the body if it was not read to the end (destroys a Readable, returns an iterator). */
    release(): void {
        if (this.#done) return;
        this.#done = true;
        this.#pending = undefined;
        if (this.#body instanceof Readable) this.#body.destroy();
        // Not awaited: an iterator suspended in its own await only returns once that settles.
        this.#iterator.return?.()?.catch?.(() => {});
    }

    async #ensurePending(): Promise<boolean> {
        while (this.#pending === undefined) {
            if (this.#done) return false;
            this.#interruption.throwIfInterrupted();
            const next = await this.#interruption.race(this.#iterator.next());
            if (next.done) {
                this.#done = true;
                return false;
            }
            const value = next.value;
            if (typeof value === 'string') this.#pending = Buffer.from(value);
            else if (value instanceof Uint8Array) this.#pending = value;
            else throw new StoreError('INVALID_ARGUMENT', 'the put body must yield Uint8Array chunks (a byte stream, not an object stream)');
            if (this.#pending.length === 0) this.#pending = undefined;
        }
        return true;
    }
}
