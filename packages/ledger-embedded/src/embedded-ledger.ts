/**
 * The embedded ledger: the provenance contract run in-process against a durable local ledger.
 * This file is its public face and the object that ties the parts together; each part lives in a
 * file of its own:
 * - open-ledger.ts, recovery.ts: opening, lock queue, replaying blocks after the savepoint, and
 *   what a damaged or interrupted block file means (kept as evidence; opening never changes it);
 * - commit-pipeline.ts: the write path (ordering, simulation, group commit with one fsync a block);
 * - evaluate.ts: the read path (the contract's query functions on a LevelDB snapshot);
 * - committed-blocks.ts: reading committed blocks back (event replay, the genesis identity);
 * - ledger-core.ts: the state all of them share (where the chain stands, what is wrong with it);
 * - verify.ts: re-checking the chain and re-deriving state.
 * Here: admission checks (closed, damaged, aborted), counting work in flight so close() drains
 * it, loading the contract at the first submit, events, info and verify's consistent point.
 */
import { TrackerError } from '@hyperprov/errors';
import type { EventOptions, Ledger, LedgerAttention, LedgerEvent, LedgerInfo, SubmitResult } from '@hyperprov/ledger';
import { checkAborted } from './abort.js';
import { CommitPipeline } from './commit-pipeline.js';
import { readBlockEvents } from './committed-blocks.js';
import { checkInvocation, type ContractBinding } from './contract-host.js';
import { evaluateQuery } from './evaluate.js';
import { EventHub } from './event-hub.js';
import { checkAcceptsWrites, type LedgerCore } from './ledger-core.js';
import { releaseOwner } from './ledger-lock.js';
import { openLedgerCore, type EmbeddedLedgerOptions, type OpenedLedger } from './open-ledger.js';
import { verifyLedger, type LedgerVerification } from './verify.js';

export type { LedgerVerification, LedgerProblem } from './verify.js';
export type { EmbeddedLedgerOptions } from './open-ledger.js';
export { LEDGER_FILES } from './ledger-files.js';

/** The embedded backend: the Ledger interface plus verification of chain and state. */
export interface EmbeddedLedger extends Ledger {
    /** Absolute path of the ledger directory. */
    readonly dir: string;
    /**
     * Re-checks every block (numbering, link, hash, signature against the identity's certificate)
     * and re-derives state, history and indexes from the blocks to compare with LevelDB. Commits
     * go on while it runs: it reads the file and a LevelDB snapshot as of one moment.
     */
    verify(): Promise<LedgerVerification>;
}

/** Opens (creating or recovering) the embedded ledger in `options.dir`. */
export async function openEmbeddedLedger(options: EmbeddedLedgerOptions): Promise<EmbeddedLedger> {
    return new EmbeddedLedgerImpl(await openLedgerCore(options));
}

class EmbeddedLedgerImpl implements EmbeddedLedger {
    readonly dir: string;
    readonly #core: LedgerCore;
    readonly #events = new EventHub();
    readonly #pipeline: CommitPipeline;
    /** The contract, or how to load it (on the first submit). */
    #binding: ContractBinding | Promise<ContractBinding> | (() => Promise<ContractBinding>);
    /** The contract's evaluate transactions, loaded without fabric-contract-api. */
    readonly #queries: ContractBinding;

    #inflight = 0;
    #idle: (() => void) | undefined;
    #closing = false;
    #closed: Promise<void> | undefined;

    constructor(opened: OpenedLedger) {
        this.dir = opened.core.dir;
        this.#core = opened.core;
        this.#binding = opened.binding;
        this.#queries = opened.queries;
        this.#pipeline = new CommitPipeline(opened.core, this.#events, opened.maxBlockTxs, () => this.#notifyIdle());
    }

    // ---------------------------------------------------------------- Ledger API

    async submit(fn: string, args: readonly string[], options: { signal?: AbortSignal } = {}): Promise<SubmitResult> {
        this.#checkWritable();
        checkAborted(options.signal);
        // Counted from the first moment, so a close() called right after waits for this submit.
        this.#enter();
        try {
            const binding = await this.#contract();
            checkInvocation(binding, fn, args);
            const queued = await this.#pipeline.order(binding, fn, args, options.signal);
            return await queued.done;
        } finally {
            this.#leave();
        }
    }

    async evaluate(fn: string, args: readonly string[], options: { signal?: AbortSignal } = {}): Promise<string> {
        this.#checkOpen();
        if (this.#core.unbacked) throw new TrackerError('LEDGER_CORRUPT', `the ledger in ${this.dir} cannot answer: ${this.#core.unbacked}`);
        checkAborted(options.signal);
        this.#enter();
        try {
            return await evaluateQuery(this.#core, this.#queries, () => this.#contract(), fn, args, options.signal);
        } finally {
            this.#leave();
        }
    }

    events(options: EventOptions = {}): AsyncIterable<LedgerEvent> {
        const start = options.startBlock;
        if (start !== undefined && start < 0n) throw new TrackerError('INVALID_ARGUMENT', `startBlock must be >= 0, got ${start}`);
        return {
            [Symbol.asyncIterator]: () => {
                this.#checkOpen();
                const from = start === undefined ? this.#core.height : Number(start);
                return this.#events.subscribe(
                    from,
                    () => this.#core.height,
                    (a, b) => readBlockEvents(this.#core, a, b, () => this.#closing),
                    options.signal,
                );
            },
        };
    }

    async info(): Promise<LedgerInfo> {
        this.#checkOpen();
        const core = this.#core;
        const problem = core.unbacked ?? core.damage;
        const attention: LedgerAttention | undefined = problem
            ? { kind: 'damaged', message: problem }
            : core.tail && { kind: 'interrupted-write', message: core.tail.message };
        return { backend: 'embedded', height: BigInt(core.height), ...(attention && { attention }) };
    }

    async verify(): Promise<LedgerVerification> {
        this.#checkOpen();
        this.#enter();
        const core = this.#core;
        try {
            // Capture a consistent point (no block half-way) and let commits go on meanwhile:
            // verify reads the file up to that size and LevelDB through a snapshot.
            const point = await this.#pipeline.withCommitLock(async () => ({
                snapshot: core.db.snapshot(),
                height: core.height,
                fileSize: core.file.size,
                committedEnd: core.committedEnd,
                ...(core.tail && { tail: { ...core.tail } }),
            }));
            try {
                return await verifyLedger({
                    dir: this.dir,
                    file: core.file,
                    db: core.db,
                    identity: core.identity,
                    ...point,
                });
            } finally {
                await point.snapshot.close();
            }
        } finally {
            this.#leave();
        }
    }

    close(): Promise<void> {
        this.#closing = true;
        this.#closed ??= (async () => {
            while (this.#inflight > 0 || !this.#pipeline.idle) {
                await new Promise<void>((resolve) => {
                    this.#idle = resolve;
                });
            }
            this.#events.close();
            await this.#core.file.close().catch(() => undefined);
            await this.#core.db.close().catch(() => undefined);
            await releaseOwner(this.dir);
        })();
        return this.#closed;
    }

    [Symbol.asyncDispose](): Promise<void> {
        return this.close();
    }

    // ---------------------------------------------------------------- helpers

    /** The contract, loaded (with fabric-contract-api) the first time a submit needs it. */
    async #contract(): Promise<ContractBinding> {
        if (typeof this.#binding === 'function') this.#binding = this.#binding();
        if (this.#binding instanceof Promise) {
            try {
                this.#binding = await this.#binding;
            } catch (error) {
                throw new TrackerError('INTERNAL', `cannot load the provenance contract: ${(error as Error).message}; reinstall hyperprov`, { cause: error });
            }
        }
        return this.#binding;
    }

    #checkOpen(): void {
        if (this.#closing) throw new TrackerError('LEDGER_UNAVAILABLE', `the ledger in ${this.dir} is closed; open it again`);
    }

    #checkWritable(): void {
        this.#checkOpen();
        checkAcceptsWrites(this.#core);
    }

    #enter(): void {
        this.#inflight += 1;
    }

    #leave(): void {
        this.#inflight -= 1;
        this.#notifyIdle();
    }

    #notifyIdle(): void {
        if (this.#inflight === 0 && this.#pipeline.idle && this.#idle) {
            const idle = this.#idle;
            this.#idle = undefined;
            idle();
        }
    }
}
