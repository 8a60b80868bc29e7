/**
 * Chaincode events of the embedded ledger: replayed from the block file from any block, then
 * followed live. A subscriber that falls too far behind stops being fed from memory and catches
 * up from the file instead, so a slow consumer never grows memory without bound.
 */
import type { LedgerEvent } from '@hyperprov/ledger';

const MAX_BUFFERED = 10_000;

interface Subscriber {
    /** Next block whose events this subscriber has not seen. */
    next: number;
    live: boolean;
    queue: LedgerEvent[];
    head: number;
    wake: (() => void) | undefined;
}

/** Reads committed blocks' events from the file: block numbers [from, to). */
export type ReadBlockEvents = (from: number, to: number) => AsyncGenerator<{ number: number; events: LedgerEvent[] }>;

/** Fans committed blocks' events out to subscribers; see the file comment. */
export class EventHub {
    readonly #subscribers = new Set<Subscriber>();
    readonly #maxBuffered: number;
    #closed = false;

    /** @param maxBuffered events held in memory per subscriber before it falls back to the file */
    constructor(maxBuffered = MAX_BUFFERED) {
        this.#maxBuffered = maxBuffered;
    }

    /** Called after a block is applied, with its events. */
    publish(number: number, events: LedgerEvent[]): void {
        for (const sub of this.#subscribers) {
            if (!sub.live || number < sub.next) continue;
            if (sub.queue.length - sub.head + events.length > this.#maxBuffered) {
                // Too far behind: catch up from the file from this block on.
                sub.live = false;
            } else {
                sub.queue.push(...events);
                sub.next = number + 1;
            }
            sub.wake?.();
        }
    }

    close(): void {
        this.#closed = true;
        for (const sub of this.#subscribers) sub.wake?.();
    }

    /**
     * Events from block `start` on. `height()` is read synchronously before going live, so no
     * block falls between the replay and the live feed.
     */
    async *subscribe(start: number, height: () => number, read: ReadBlockEvents, signal?: AbortSignal): AsyncGenerator<LedgerEvent> {
        const sub: Subscriber = { next: start, live: false, queue: [], head: 0, wake: undefined };
        this.#subscribers.add(sub);
        const onAbort = (): void => sub.wake?.();
        signal?.addEventListener('abort', onAbort);
        try {
            for (;;) {
                if (this.#closed || signal?.aborted) return;
                if (sub.head < sub.queue.length) {
                    const event = sub.queue[sub.head++] as LedgerEvent;
                    if (sub.head > 1024 && sub.head * 2 > sub.queue.length) {
                        sub.queue.splice(0, sub.head);
                        sub.head = 0;
                    }
                    yield event;
                    continue;
                }
                if (!sub.live) {
                    const top = height();
                    if (sub.next < top) {
                        for await (const block of read(sub.next, top)) {
                            for (const event of block.events) {
                                if (this.#closed || signal?.aborted) return;
                                yield event;
                            }
                            sub.next = block.number + 1;
                        }
                        // Whatever read could not deliver (e.g. a damaged block) is skipped.
                        if (sub.next < top) sub.next = top;
                        continue;
                    }
                    sub.live = true;
                    continue;
                }
                await new Promise<void>((resolve) => {
                    sub.wake = resolve;
                });
                sub.wake = undefined;
            }
        } finally {
            signal?.removeEventListener('abort', onAbort);
            this.#subscribers.delete(sub);
        }
    }
}
