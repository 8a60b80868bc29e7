/** The shared-memory ring of one read pass: a few fixed slots the reader, hasher and uploader share. */

import { CTRL_LENGTHS } from './hash-worker.js';

/** A ring of `slots` reusable chunk buffers in shared memory, plus its control words. */
export interface Ring {
    readonly slots: number;
    readonly chunkSize: number;
    readonly control: SharedArrayBuffer;
    readonly data: SharedArrayBuffer;
    readonly controlView: Int32Array;
    /** Buffer views of each slot (over `data`), for fs reads and for the uploader. */
    readonly slotViews: readonly Buffer[];
}

/** Allocates a ring. Memory: slots × chunkSize bytes. */
export function createRing(slots: number, chunkSize: number): Ring {
    const control = new SharedArrayBuffer((CTRL_LENGTHS + slots) * Int32Array.BYTES_PER_ELEMENT);
    const data = new SharedArrayBuffer(slots * chunkSize);
    const slotViews = Array.from({ length: slots }, (_, i) => Buffer.from(data, i * chunkSize, chunkSize));
    return { slots, chunkSize, control, data, controlView: new Int32Array(control), slotViews };
}

/** Zeroes the control words so the ring can carry another file. Slot bytes are simply overwritten. */
export function resetRing(ring: Ring): void {
    ring.controlView.fill(0);
}

interface WaitAsyncResult {
    async: boolean;
    value: Promise<'ok' | 'not-equal' | 'timed-out'> | 'not-equal' | 'timed-out';
}
// Atomics.waitAsync exists since Node 16 but is typed only in lib es2024.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): WaitAsyncResult }).waitAsync;

/** Resolves once `control[index]` is no longer `seen` (or someone notifies that index). */
export async function waitForChange(control: Int32Array, index: number, seen: number): Promise<void> {
    const result = waitAsync(control, index, seen);
    if (result.async) await result.value;
}
