/**
 * The write path after admission: ordering, simulation and group commit. Transactions are
 * simulated one at a time against committed state plus the writes of transactions already
 * ordered (no read-your-writes inside a transaction, as in Fabric), then queued. A single commit
 * loop cuts every queued transaction into one block, appends it to the block file with one
 * fdatasync (group commit: concurrent submits share a block and an fsync; a lone submit goes out
 * at once, there is no batch timeout), applies it to LevelDB in one atomic batch that also moves
 * the savepoint, and only then resolves the submits and publishes their events. A commit that
 * fails marks the ledger failed: everything queued behind it was simulated on top of it.
 */
import { TrackerError } from '@hyperprov/errors';
import { translateContractError, type LedgerEvent, type SubmitResult } from '@hyperprov/ledger';
import { checkAborted } from './abort.js';
import { encodeBlock, encodeValue, eventPayloadText, type BlockBody, type TxEntry, type WriteEntry } from './block.js';
import { invokeContract, type ContractBinding } from './contract-host.js';
import type { EventHub } from './event-hub.js';
import { applyBlock, checkAcceptsWrites, cutTail, type LedgerCore } from './ledger-core.js';
import { EmbeddedStub } from './stub.js';
import { Overlay, committedView, pendingView, type PendingTx } from './state-views.js';
import { newTxId } from './tx-id.js';

/** A simulated transaction waiting for its block. */
export interface QueuedTx {
    pending: PendingTx;
    entry: TxEntry;
    approxBytes: number;
    done: Promise<SubmitResult>;
    resolve(result: SubmitResult): void;
    reject(error: unknown): void;
}

const MAX_BLOCK_BYTES = 16 << 20;

/** Orders, simulates and commits one ledger's transactions; see the file comment. */
export class CommitPipeline {
    readonly #core: LedgerCore;
    readonly #events: EventHub;
    readonly #maxBlockTxs: number;
    /** Told when the commit loop stops, so close() can see whether the ledger went idle. */
    readonly #onIdle: () => void;
    readonly #overlay = new Overlay();

    #seq = 0;
    #executing: Promise<unknown> = Promise.resolve();
    readonly #queue: QueuedTx[] = [];
    #committing: Promise<void> | undefined;
    /** Held by a block commit or by verify(), so verify sees a still ledger. */
    #commitLock: Promise<void> = Promise.resolve();

    constructor(core: LedgerCore, events: EventHub, maxBlockTxs: number, onIdle: () => void) {
        this.#core = core;
        this.#events = events;
        this.#maxBlockTxs = maxBlockTxs;
        this.#onIdle = onIdle;
    }

    /** True when nothing is queued and no block is being committed. */
    get idle(): boolean {
        return this.#queue.length === 0 && !this.#committing;
    }

    /**
     * Simulates `fn` after every transaction ordered before it and queues it for a block; the
     * returned transaction's `done` settles when its block is committed (or fails).
     */
    order(binding: ContractBinding, fn: string, args: readonly string[], signal: AbortSignal | undefined): Promise<QueuedTx> {
        return this.#serially(() => this.#simulate(binding, fn, args, signal));
    }

    /** Runs simulations one after another, so each sees every transaction ordered before it. */
    #serially<T>(task: () => Promise<T>): Promise<T> {
        const run = this.#executing.then(task);
        this.#executing = run.catch(() => undefined);
        return run;
    }

    async #simulate(binding: ContractBinding, fn: string, args: readonly string[], signal: AbortSignal | undefined): Promise<QueuedTx> {
        // Checked again here: the ledger may have failed or been aborted while this waited its turn.
        checkAcceptsWrites(this.#core);
        checkAborted(signal);
        const txId = newTxId(this.#core.identity);
        const timestampMs = Date.now();
        const stub = new EmbeddedStub(pendingView(committedView(this.#core.store), this.#overlay), txId, timestampMs, { signal });
        let result: string;
        try {
            result = await invokeContract(binding, fn, args, stub, this.#core.clientIdentity);
        } catch (error) {
            throw translateContractError(error, { fn, transactionId: txId });
        }
        const effects = stub.effects();
        const keys = [...effects.writes.keys()].sort();
        let approxBytes = result.length + 256;
        const writes: WriteEntry[] = keys.map((key) => {
            const value = effects.writes.get(key);
            approxBytes += key.length + (value?.length ?? 0) + 32;
            return value === undefined ? { key, delete: true } : { key, ...encodeValue(value) };
        });
        const entry: TxEntry = {
            id: txId,
            fn,
            args: [...args],
            creator: { mspId: this.#core.clientIdentity.getMSPID(), id: this.#core.clientIdentity.getID() },
            timestamp: new Date(timestampMs).toISOString(),
            writes,
            result,
        };
        if (effects.event) entry.event = { name: effects.event.name, ...payloadFields(effects.event.payload) };
        const pending: PendingTx = { seq: ++this.#seq, id: txId, timestampMs, writes: effects.writes };
        // From here on the transaction is ordered: later simulations read its writes, and it is
        // queued in the same synchronous step so blocks keep simulation order.
        let resolve!: (result: SubmitResult) => void;
        let reject!: (error: unknown) => void;
        const done = new Promise<SubmitResult>((res, rej) => {
            resolve = res;
            reject = rej;
        });
        const queued: QueuedTx = { pending, entry, approxBytes, done, resolve, reject };
        this.#overlay.add(pending);
        this.#queue.push(queued);
        this.#startCommitting();
        return queued;
    }

    #startCommitting(): void {
        if (this.#committing) return;
        this.#committing = (async () => {
            try {
                while (this.#queue.length > 0) {
                    const batch = this.#takeBatch();
                    await this.withCommitLock(() => this.#commitBlock(batch));
                }
            } finally {
                this.#committing = undefined;
                this.#onIdle();
            }
        })();
    }

    #takeBatch(): QueuedTx[] {
        let bytes = 0;
        let count = 0;
        while (count < this.#queue.length && count < this.#maxBlockTxs) {
            bytes += (this.#queue[count] as QueuedTx).approxBytes;
            if (count > 0 && bytes > MAX_BLOCK_BYTES) break;
            count++;
        }
        return this.#queue.splice(0, count);
    }

    async #commitBlock(batch: QueuedTx[]): Promise<void> {
        if (this.#core.failure) {
            for (const tx of batch) tx.reject(this.#core.failure);
            return;
        }
        const number = this.#core.height;
        const body: BlockBody = {
            number,
            previousHash: this.#core.lastHash,
            timestamp: new Date().toISOString(),
            txs: batch.map((tx) => tx.entry),
        };
        const { line, hash } = encodeBlock(body, this.#core.signer);
        try {
            await cutTail(this.#core);
        } catch (error) {
            this.#fail(
                new TrackerError(
                    'LEDGER_UNAVAILABLE',
                    `cutting the incomplete block off the end of ${this.#core.file.path} failed (${(error as Error).message}); nothing was committed; fix permissions or free disk space, then retry`,
                    { cause: error },
                ),
            );
            for (const tx of batch) tx.reject(this.#core.failure);
            return;
        }
        let offset: number;
        try {
            offset = await this.#core.file.append(line);
        } catch (error) {
            // Nothing of this block counts: cut whatever part of it reached the file. If even that
            // fails, the block may be replayed on reopen, so its transactions' outcome is unknown,
            // which the interface signals with a transaction id on the error.
            const cut = await this.#core.file.truncate(this.#core.file.size).then(
                () => true,
                () => false,
            );
            const message =
                `writing block ${number} to ${this.#core.file.path} failed (${(error as Error).message}); ` +
                (cut ? 'nothing of it was committed' : 'its transactions may or may not be committed') +
                '; free disk space or fix permissions, then reopen the ledger';
            this.#fail(new TrackerError('LEDGER_UNAVAILABLE', message, { cause: error }));
            for (const tx of batch) {
                tx.reject(cut ? this.#core.failure : new TrackerError('LEDGER_UNAVAILABLE', message, { cause: error, transactionId: tx.entry.id }));
            }
            return;
        }
        // The block is durable: from here on its transactions are committed, whatever happens.
        try {
            await applyBlock(this.#core, {
                number,
                offset,
                length: line.length,
                hash,
                txs: batch.map((tx) => ({
                    id: tx.pending.id,
                    timestampMs: tx.pending.timestampMs,
                    writes: [...tx.pending.writes].map(([key, value]) => ({ key, value })),
                })),
            });
        } catch (error) {
            this.#fail(new TrackerError('LEDGER_UNAVAILABLE', `block ${number} is written but applying it to the state database failed: ${(error as Error).message}; reopen the ledger to replay it`, { cause: error }));
        }
        this.#core.height = number + 1;
        this.#core.lastHash = hash;
        this.#core.committedEnd = offset + line.length;
        this.#overlay.release((batch[batch.length - 1] as QueuedTx).pending.seq);
        const blockNumber = BigInt(number);
        const events: LedgerEvent[] = [];
        for (const tx of batch) {
            tx.resolve({ transactionId: tx.entry.id, blockNumber, result: tx.entry.result });
            if (tx.entry.event) {
                events.push({ blockNumber, transactionId: tx.entry.id, eventName: tx.entry.event.name, payload: eventPayloadText(tx.entry.event) });
            }
        }
        this.#events.publish(number, events);
    }

    #fail(error: TrackerError): void {
        this.#core.failure ??= error;
        this.#overlay.clear();
        // Everything queued was simulated on top of what just failed.
        for (const tx of this.#queue.splice(0)) tx.reject(this.#core.failure);
    }

    /** Runs `task` between block commits (verify() takes its consistent point this way). */
    withCommitLock<T>(task: () => Promise<T>): Promise<T> {
        const run = this.#commitLock.then(task);
        this.#commitLock = run.then(
            () => undefined,
            () => undefined,
        );
        return run;
    }
}

function payloadFields(payload: Buffer): { payload: string } | { payloadBase64: string } {
    const encoded = encodeValue(payload);
    return 'value' in encoded ? { payload: encoded.value } : { payloadBase64: encoded.valueBase64 };
}
