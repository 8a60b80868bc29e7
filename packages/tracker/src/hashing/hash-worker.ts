/**
 * The hash worker (runs in a piscina worker thread). One task hashes one file: it follows a ring
 * of shared-memory slots that the main thread fills while it reads the file, hashing each chunk in
 * place (nothing is copied or transferred) and publishing its progress, so the reader can reuse a
 * slot as soon as both the hasher and the uploader are done with it.
 *
 * This module must stay self-contained (node: imports only): it is loaded by file path in a
 * worker, and the main thread imports its layout constants from here.
 */

import { createHash } from 'node:crypto';

/** Int32 index: number of chunks the reader has published. */
export const CTRL_WRITTEN = 0;
/** Int32 index: number of chunks the hasher has consumed. */
export const CTRL_HASHED = 1;
/** Int32 index: STATE_RUNNING, STATE_END (no more chunks) or STATE_ABORT. */
export const CTRL_STATE = 2;
/** Int32 index: bumped on every change by the main thread; the worker sleeps on it. */
export const CTRL_EVENTS = 3;
/** Int32 index of slot 0's byte length; slot i's is at CTRL_LENGTHS + i. */
export const CTRL_LENGTHS = 4;

export const STATE_RUNNING = 0;
export const STATE_END = 1;
export const STATE_ABORT = 2;

/** One file's hashing task: the ring's shared memory. */
export interface HashTask {
    /** Int32Array of CTRL_LENGTHS + slots entries. */
    control: SharedArrayBuffer;
    /** `slots` slots of `chunkSize` bytes each. */
    data: SharedArrayBuffer;
    slots: number;
    chunkSize: number;
}

/** What a task returns. `aborted` tasks carry no digest. */
export interface HashTaskResult {
    hex: string;
    bytes: number;
    chunks: number;
    aborted: boolean;
}

/** Hashes every chunk the reader publishes, in order, until the reader says END or ABORT. */
export default function hashRing(task: HashTask): HashTaskResult {
    const control = new Int32Array(task.control);
    const hash = createHash('sha256');
    let chunks = 0;
    let bytes = 0;
    for (;;) {
        // Read EVENTS before checking, so a change made after the check still wakes the wait.
        const events = Atomics.load(control, CTRL_EVENTS);
        const state = Atomics.load(control, CTRL_STATE);
        if (state === STATE_ABORT) return { hex: '', bytes, chunks, aborted: true };
        if (chunks < Atomics.load(control, CTRL_WRITTEN)) {
            const slot = chunks % task.slots;
            const length = Atomics.load(control, CTRL_LENGTHS + slot);
            hash.update(new Uint8Array(task.data, slot * task.chunkSize, length));
            bytes += length;
            chunks++;
            Atomics.store(control, CTRL_HASHED, chunks);
            Atomics.notify(control, CTRL_HASHED);
            continue;
        }
        if (state === STATE_END) return { hex: hash.digest('hex'), bytes, chunks, aborted: false };
        Atomics.wait(control, CTRL_EVENTS, events);
    }
}
