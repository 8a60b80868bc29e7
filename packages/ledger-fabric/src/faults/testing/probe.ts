/**
 * The fault tests' probe: a loop that keeps submitting records (`set` of a new key every
 * `intervalMs`, at most `maxInFlight` at once) while a fault is injected, and remembers what
 * happened to each; then a check of every record against the ledger: acknowledged ones are there
 * exactly once, definitive failures left nothing, and outcome-unknown ones are resolved by id.
 */
import { TrackerError } from '@hyperprov/errors';
import type { Ledger } from '@hyperprov/ledger';
import { recordInput, runPrefix } from '../../testing/fixtures.js';

export interface ProbeRecord {
    key: string;
    /** ms since the epoch. */
    startedAt: number;
    endedAt?: number;
    /** Acknowledged: the record id (a tx id, or `<txId>.<n>` in a coalesced batch). */
    id?: string;
    blockNumber?: bigint;
    error?: TrackerError;
}

export interface ProbeOptions {
    intervalMs?: number;
    maxInFlight?: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A key prefix no other run uses, under `faults/`. */
export function uniquePrefix(name: string): string {
    return runPrefix(`faults/${name}`);
}

function asTrackerError(error: unknown): TrackerError {
    return error instanceof TrackerError ? error : new TrackerError('INTERNAL', `not a TrackerError: ${error instanceof Error ? error.stack : String(error)}`, { cause: error });
}

export class Probe {
    readonly records: ProbeRecord[] = [];
    readonly #ledger: Ledger;
    readonly #prefix: string;
    readonly #intervalMs: number;
    readonly #maxInFlight: number;
    readonly #pending = new Set<Promise<void>>();
    #timer: NodeJS.Timeout | undefined;

    constructor(ledger: Ledger, prefix: string, options: ProbeOptions = {}) {
        this.#ledger = ledger;
        this.#prefix = prefix;
        this.#intervalMs = options.intervalMs ?? 100;
        this.#maxInFlight = options.maxInFlight ?? 8;
    }

    start(): this {
        const tick = (): void => {
            if (this.#pending.size < this.#maxInFlight) this.#submitOne();
            this.#timer = setTimeout(tick, this.#intervalMs);
        };
        tick();
        return this;
    }

    #submitOne(): void {
        const record: ProbeRecord = { key: `${this.#prefix}/${String(this.records.length).padStart(4, '0')}`, startedAt: Date.now() };
        this.records.push(record);
        const done = this.#ledger.submit('set', [recordInput(record.key)]).then(
            (result) => {
                record.endedAt = Date.now();
                record.id = result.transactionId;
                record.blockNumber = result.blockNumber;
            },
            (error: unknown) => {
                record.endedAt = Date.now();
                record.error = asTrackerError(error);
            },
        );
        this.#pending.add(done);
        void done.finally(() => this.#pending.delete(done));
    }

    get inFlight(): number {
        return this.#pending.size;
    }

    committed(): ProbeRecord[] {
        return this.records.filter((r) => r.id !== undefined);
    }

    failed(): ProbeRecord[] {
        return this.records.filter((r) => r.error !== undefined);
    }

    /** The first record started at or after `t` that committed: its commit time, or undefined. */
    firstCommitStartedAfter(t: number): ProbeRecord | undefined {
        return this.committed()
            .filter((r) => r.startedAt >= t)
            .sort((a, b) => (a.endedAt as number) - (b.endedAt as number))[0];
    }

    /** Waits until a record started at or after `t` has committed; its commit time minus t, or undefined after `timeoutMs`. */
    async waitForCommitAfter(t: number, timeoutMs: number): Promise<number | undefined> {
        const end = Date.now() + timeoutMs;
        for (;;) {
            const first = this.firstCommitStartedAfter(t);
            if (first) return (first.endedAt as number) - t;
            if (Date.now() >= end) return undefined;
            await sleep(50);
        }
    }

    /** Stops issuing and waits for the records in flight (each is bounded by the ledger's outcome budget). */
    async stop(): Promise<ProbeRecord[]> {
        clearTimeout(this.#timer);
        while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
        return this.records;
    }
}

export function summarize(records: readonly ProbeRecord[]): string {
    const ok = records.filter((r) => r.id !== undefined);
    const latencies = ok.map((r) => (r.endedAt as number) - r.startedAt).sort((a, b) => a - b);
    const byCode = new Map<string, number>();
    for (const r of records) if (r.error) byCode.set(`${r.error.code}${r.error.transactionId ? '+txId' : ''}`, (byCode.get(`${r.error.code}${r.error.transactionId ? '+txId' : ''}`) ?? 0) + 1);
    const failures = [...byCode].map(([code, n]) => `${code}×${n}`).join(', ') || 'none';
    const max = latencies.at(-1) ?? 0;
    const median = latencies[Math.floor(latencies.length / 2)] ?? 0;
    return `${records.length} records: ${ok.length} committed (latency median ${median} ms, max ${max} ms), failures: ${failures}`;
}

/** What a key looks like on the ledger: the ids of its versions, newest first ([] when it has none). */
export async function versionsOf(ledger: Ledger, key: string): Promise<string[]> {
    try {
        const page = JSON.parse(await ledger.evaluate('getKeyHistory', [key, '10', ''])) as { items: { id: string }[] };
        return page.items.map((r) => r.id);
    } catch (error) {
        if (error instanceof TrackerError && error.code === 'NOT_FOUND') return [];
        throw error;
    }
}

/** The record with `id`, or undefined when the ledger has none. */
export async function recordById(ledger: Ledger, id: string): Promise<{ id: string; key: string } | undefined> {
    try {
        return JSON.parse(await ledger.evaluate('getFromId', [id])) as { id: string; key: string };
    } catch (error) {
        if (error instanceof TrackerError && error.code === 'NOT_FOUND') return undefined;
        throw error;
    }
}

export interface Audit {
    /** Acknowledged and there exactly once, readable by id and by key. */
    acknowledged: number;
    /** Outcome unknown (error with a transactionId), found committed by id. */
    resolvedCommitted: number;
    /** Outcome unknown, not committed. */
    resolvedAbsent: number;
    /** Definitive failures (no transactionId), key absent. */
    definitive: number;
    /** Everything that contradicts the Ledger interface; empty when all is well. */
    problems: string[];
}

/**
 * Checks every probe record against the ledger (see the file comment). Call it once ordering has
 * resumed and a later transaction committed: a transaction the orderers held before that is
 * committed or gone by then, since blocks are cut in order.
 */
export async function audit(ledger: Ledger, records: readonly ProbeRecord[]): Promise<Audit> {
    const result: Audit = { acknowledged: 0, resolvedCommitted: 0, resolvedAbsent: 0, definitive: 0, problems: [] };
    for (const r of records) {
        const versions = await versionsOf(ledger, r.key);
        if (r.id !== undefined) {
            const byId = await recordById(ledger, r.id);
            if (byId?.key !== r.key) result.problems.push(`${r.key}: acknowledged as ${r.id}, but getFromId gives ${JSON.stringify(byId)}`);
            else if (versions.length !== 1 || versions[0] !== r.id) result.problems.push(`${r.key}: acknowledged as ${r.id}, but its history is ${JSON.stringify(versions)}`);
            else {
                const latest = JSON.parse(await ledger.evaluate('get', [r.key])) as { id: string };
                if (latest.id !== r.id) result.problems.push(`${r.key}: acknowledged as ${r.id}, but get gives ${latest.id}`);
                else result.acknowledged += 1;
            }
        } else if (r.error?.transactionId !== undefined) {
            const byId = await recordById(ledger, r.error.transactionId);
            if (versions.length > 1) result.problems.push(`${r.key}: outcome unknown (${r.error.transactionId}) and recorded ${versions.length} times: ${JSON.stringify(versions)}`);
            else if (byId && (byId.key !== r.key || versions[0] !== byId.id)) result.problems.push(`${r.key}: outcome unknown, ${r.error.transactionId} resolves to ${JSON.stringify(byId)} but history is ${JSON.stringify(versions)}`);
            else if (!byId && versions.length > 0) result.problems.push(`${r.key}: outcome unknown, ${r.error.transactionId} not found by id, yet the key has ${JSON.stringify(versions)}`);
            else if (byId) result.resolvedCommitted += 1;
            else result.resolvedAbsent += 1;
        } else if (r.error !== undefined) {
            if (versions.length > 0) result.problems.push(`${r.key}: failed definitively (${r.error.code}: ${r.error.message}) yet recorded as ${JSON.stringify(versions)}`);
            else result.definitive += 1;
        } else {
            result.problems.push(`${r.key}: still in flight`);
        }
    }
    return result;
}
