/**
 * Read access to world state for one transaction simulation. Two kinds of view exist:
 * committed state (evaluate), and committed state plus the writes of transactions that are
 * ordered but not yet applied (submit), so concurrently submitted transactions see each other in
 * order without waiting for the previous block's fsync.
 */
import type { HistoryEntry } from './state-db.js';

/** A state entry yielded by a range scan. */
export interface StateEntry {
    key: string;
    value: Buffer;
}

/** World state as one transaction simulation sees it. */
export interface StateView {
    /** Current value of `key`, or undefined. Synchronous: LevelDB point reads use getSync. */
    get(key: string): Buffer | undefined;
    /** Entries with UTF-8 key bytes in [start, end), in byte order. */
    range(start: Buffer, end: Buffer): AsyncGenerator<StateEntry>;
    /** Versions of `key`, newest first. */
    history(key: string): AsyncGenerator<HistoryEntry>;
}
