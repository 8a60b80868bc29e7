/**
 * The embedded ledger: the provenance contract run in-process against a durable local ledger.
 *
 * Write path (submit): transactions are simulated one at a time against committed state plus the
 * writes of transactions already ordered (no read-your-writes inside a transaction, as in Fabric),
 * then queued. A single commit loop cuts every queued transaction into one block, appends it to the
 * block file with one fdatasync (group commit: concurrent submits share a block and an fsync; a
 * lone submit goes out at once, there is no batch timeout), applies it to LevelDB in one atomic
 * batch that also moves the savepoint, and only then resolves the submits.
 *
 * Recovery (open): a torn last line of the block file is cut off; blocks after the savepoint are
 * re-applied. A killed process therefore never leaves a half-applied block, and state can always be
 * rebuilt from the blocks (verify() does exactly that and compares).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import { checkIdentity, type LocalIdentity } from '@hyperprov/ledger';
import { LocalClientIdentity } from './client-identity.js';
import { createLocalSigner, createSignatureVerifier, type SignatureVerifier, type LocalSigner } from '@hyperprov/ledger';
import type { EventOptions, Ledger, LedgerEvent, LedgerInfo, SubmitResult } from '@hyperprov/ledger';
import { translateContractError } from '@hyperprov/ledger';
import {
    GENESIS_PREVIOUS_HASH,
    decodeBlock,
    encodeBlock,
    encodeValue,
    eventPayloadText,
    hashProblem,
    signatureValid,
    type BlockBody,
    type DecodedBlock,
    type TxEntry,
    type WriteEntry,
} from './block.js';
import { BlockFile } from './block-file.js';
import { checkInvocation, invokeContract, loadProvenanceContract, loadProvenanceQueries, type ContractBinding } from './contract-host.js';
import { EventHub } from './event-hub.js';
import { openLocked, releaseOwner } from './ledger-lock.js';
import { appliedFromDecoded, blockIndexKey, blockOps, decodeBlockIndex, openDb, readSavepoint, type AppliedBlock, type Db } from './state-db.js';
import { EmbeddedStub } from './stub.js';
import { Overlay, StateCache, committedView, pendingView, type CommittedStore, type PendingTx } from './state-views.js';
import { VERIFY_SCRATCH_PREFIX, verifyLedger, type LedgerVerification } from './verify.js';

export type { LedgerVerification, LedgerProblem } from './verify.js';

/** Files inside the ledger directory. */
export const LEDGER_FILES = { blocks: 'blocks.log', state: 'state' } as const;

/** Options of {@link openEmbeddedLedger}. */
export interface EmbeddedLedgerOptions {
    /** Directory of the ledger (created if missing). */
    dir: string;
    /** Signs blocks and is the creator of every transaction. */
    identity: LocalIdentity;
    /** `fsync` (default): a resolved submit survives power loss. `none`: survives process crashes only. */
    durability?: 'fsync' | 'none';
    /** The contract to run; default the provenance contract from @hyperprov/chaincode. */
    contract?: ContractBinding;
    /** How long to wait for another process to release the ledger; default 2000 ms. */
    lockTimeoutMs?: number;
    /** Entries in the committed-state read cache; default 50 000. */
    cacheEntries?: number;
    /** Most transactions in one block; default 1000. */
    maxBlockTransactions?: number;
}

/** The embedded backend: the Ledger interface plus verification of chain and state. */
export interface EmbeddedLedger extends Ledger {
    /** Absolute path of the ledger directory. */
    readonly dir: string;
    /**
     * Re-checks every block (numbering, link, hash, signature against the identity's certificate)
     * and re-derives state, history and indexes from the blocks to compare with LevelDB. Commits
     * wait while it runs.
     */
    verify(): Promise<LedgerVerification>;
}

/** Opens (creating or recovering) the embedded ledger in `options.dir`. */
export async function openEmbeddedLedger(options: EmbeddedLedgerOptions): Promise<EmbeddedLedger> {
    return EmbeddedLedgerImpl.open(options);
}

interface QueuedTx {
    pending: PendingTx;
    entry: TxEntry;
    approxBytes: number;
    done: Promise<SubmitResult>;
    resolve(result: SubmitResult): void;
    reject(error: unknown): void;
}

const MAX_BLOCK_BYTES = 16 << 20;

class EmbeddedLedgerImpl implements EmbeddedLedger {
    readonly dir: string;
    readonly #identity: LocalIdentity;
    readonly #clientIdentity: LocalClientIdentity;
    readonly #signer: LocalSigner;
    readonly #verifier: SignatureVerifier;
    readonly #db: Db;
    readonly #file: BlockFile;
    readonly #store: CommittedStore;
    readonly #overlay = new Overlay();
    readonly #events = new EventHub();
    readonly #maxBlockTxs: number;
    /** The contract, or how to load it (on the first submit). */
    #binding: ContractBinding | Promise<ContractBinding> | (() => Promise<ContractBinding>);
    /** The contract's evaluate transactions, loaded without fabric-contract-api. */
    readonly #queries: ContractBinding;

    #height = 0;
    #lastHash = GENESIS_PREVIOUS_HASH;
    /** Why the ledger cannot accept writes (damaged files); reads and verify still work. */
    #damage: string | undefined;
    /** Set when a commit failed; the ledger must be reopened. */
    #failure: TrackerError | undefined;

    #seq = 0;
    #executing: Promise<unknown> = Promise.resolve();
    readonly #queue: QueuedTx[] = [];
    #committing: Promise<void> | undefined;
    /** Held by a block commit or by verify(), so verify sees a still ledger. */
    #commitLock: Promise<void> = Promise.resolve();
    #inflight = 0;
    #idle: (() => void) | undefined;
    #closing = false;
    #closed: Promise<void> | undefined;

    private constructor(
        dir: string,
        identity: LocalIdentity,
        db: Db,
        file: BlockFile,
        binding: ContractBinding | (() => Promise<ContractBinding>),
        queries: ContractBinding,
        cacheEntries: number,
        maxBlockTxs: number,
    ) {
        this.dir = dir;
        this.#identity = identity;
        this.#clientIdentity = new LocalClientIdentity(identity);
        this.#signer = createLocalSigner(identity);
        this.#verifier = createSignatureVerifier(identity.certificatePem);
        this.#db = db;
        this.#file = file;
        this.#binding = binding;
        this.#queries = queries;
        this.#store = { db, cache: new StateCache(cacheEntries), applying: false, generation: 0 };
        this.#maxBlockTxs = maxBlockTxs;
    }

    static async open(options: EmbeddedLedgerOptions): Promise<EmbeddedLedgerImpl> {
        checkIdentity(options.identity, 'the identity given to the ledger');
        const dir = resolve(options.dir);
        try {
            await mkdir(dir, { recursive: true });
        } catch (error) {
            throw new TrackerError('LEDGER_UNAVAILABLE', `cannot create the ledger directory ${dir}: ${(error as Error).message}`, { cause: error });
        }
        const db = openDb(join(dir, LEDGER_FILES.state));
        await openLocked(db, dir, options.lockTimeoutMs ?? 2000);
        let file: BlockFile | undefined;
        try {
            // Scratch databases of a verify() that was killed; nobody else can be verifying now.
            for (const name of await readdir(dir)) {
                if (name.startsWith(VERIFY_SCRATCH_PREFIX)) await rm(join(dir, name), { recursive: true, force: true });
            }
            file = await BlockFile.open(join(dir, LEDGER_FILES.blocks), { sync: (options.durability ?? 'fsync') === 'fsync' });
            // The contract (and fabric-contract-api) is loaded at the first submit; reads run the
            // contract's own query functions, which load without it.
            const binding = options.contract ?? (() => loadProvenanceContract());
            const queries = options.contract ?? loadProvenanceQueries();
            const ledger = new EmbeddedLedgerImpl(
                dir,
                options.identity,
                db,
                file,
                binding,
                queries,
                options.cacheEntries ?? 50_000,
                Math.max(1, options.maxBlockTransactions ?? 1000),
            );
            await ledger.#recover();
            return ledger;
        } catch (error) {
            await file?.close().catch(() => undefined);
            await db.close().catch(() => undefined);
            await releaseOwner(dir);
            if (error instanceof TrackerError) throw error;
            throw new TrackerError('LEDGER_UNAVAILABLE', `cannot open the ledger in ${dir}: ${(error as Error).message}`, { cause: error });
        }
    }

    // ---------------------------------------------------------------- recovery

    async #recover(): Promise<void> {
        const savepoint = await readSavepoint(this.#db);
        let expected = savepoint ? savepoint.number + 1 : 0;
        let previous = savepoint ? savepoint.hash : GENESIS_PREVIOUS_HASH;
        const from = savepoint ? savepoint.end : 0;
        if (from > this.#file.size) {
            this.#damage = `the block file ends at byte ${this.#file.size} but state was applied up to block ${savepoint?.number} ending at byte ${from}: blocks are missing`;
            this.#height = (savepoint?.number ?? -1) + 1;
            this.#lastHash = previous;
            return;
        }
        const lines = this.#file.lines(from);
        let pendingBad: { offset: number; reason: string; number: number } | undefined;
        for await (const line of lines) {
            if ('torn' in line) {
                await this.#file.truncate(line.torn);
                break;
            }
            if (pendingBad) {
                // A bad block followed by more blocks is damage, not a torn write: keep the file as is.
                this.#damage = `block ${pendingBad.number} at byte ${pendingBad.offset} is unreadable (${pendingBad.reason}) and blocks follow it`;
                pendingBad = undefined;
                break;
            }
            let block: DecodedBlock;
            try {
                block = decodeBlock(line.bytes);
                const problem = hashProblem(block);
                if (problem) throw new Error(problem);
            } catch (error) {
                // Unreadable: a torn write if nothing follows it (decided at the next line or the end).
                pendingBad = { offset: line.offset, reason: (error as Error).message, number: expected };
                continue;
            }
            // A block whose bytes match its hash was written completely: if it still does not
            // belong here, it was put there, and it is evidence for verify(), not something to cut.
            const misfit =
                block.body.number !== expected
                    ? `it is numbered ${block.body.number}`
                    : block.body.previousHash !== previous
                      ? 'its previous hash does not link to the block before'
                      : !signatureValid(block, this.#verifier)
                        ? "its signature does not verify against the identity's certificate"
                        : undefined;
            if (misfit) {
                this.#damage = `block ${expected} at byte ${line.offset} cannot be applied: ${misfit}`;
                break;
            }
            await this.#applyBlock(appliedFromDecoded(block, line.offset, line.end - line.offset));
            expected += 1;
            previous = block.hash;
        }
        if (pendingBad) {
            // The last line is complete but bad: a write torn by power loss. It was never applied
            // (it is after the savepoint) and so never acknowledged; drop it.
            await this.#file.truncate(pendingBad.offset);
        }
        this.#height = expected;
        this.#lastHash = previous;
        if (this.#height === 0 && !this.#damage) {
            await this.#writeGenesis();
        } else if (!this.#damage) {
            await this.#checkGenesisIdentity();
        }
    }

    async #writeGenesis(): Promise<void> {
        const body: BlockBody = {
            number: 0,
            previousHash: GENESIS_PREVIOUS_HASH,
            timestamp: new Date().toISOString(),
            config: {
                mspId: this.#identity.mspId,
                certificatePem: this.#identity.certificatePem,
                caCertificatePem: this.#identity.caCertificatePem,
            },
            txs: [],
        };
        const { line, hash } = encodeBlock(body, this.#signer);
        const offset = await this.#file.append(line);
        await this.#applyBlock({ number: 0, offset, length: line.length, hash, txs: [] });
        this.#height = 1;
        this.#lastHash = hash;
    }

    /** A ledger signed by one identity must not silently get blocks signed by another. */
    async #checkGenesisIdentity(): Promise<void> {
        const genesis = await this.#readBlock(0).catch(() => undefined);
        const config = genesis?.body.config;
        if (!config) return; // verify() reports an unreadable genesis block
        if (normalizePem(config.certificatePem) !== normalizePem(this.#identity.certificatePem)) {
            const owner = new LocalClientIdentity({ mspId: config.mspId, certificatePem: config.certificatePem });
            throw new TrackerError(
                'INVALID_ARGUMENT',
                `the ledger in ${this.dir} belongs to identity ${owner.getID()} (${config.mspId}), not to ${this.#clientIdentity.getID()}; open it with the identity that created it (in a project: restore .hyperprov/identity from a backup)`,
            );
        }
    }

    async #readBlock(number: number): Promise<DecodedBlock> {
        const index = await this.#db.get(blockIndexKey(number));
        if (index === undefined) throw new Error(`block ${number} is not indexed`);
        const { offset, length } = decodeBlockIndex(index);
        const bytes = await this.#file.read(offset, length);
        return decodeBlock(bytes.subarray(0, bytes.length - 1));
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
            const queued = await this.#serially(() => this.#simulate(binding, fn, args, options.signal));
            return await queued.done;
        } finally {
            this.#leave();
        }
    }

    async evaluate(fn: string, args: readonly string[], options: { signal?: AbortSignal } = {}): Promise<string> {
        this.#checkOpen();
        checkAborted(options.signal);
        this.#enter();
        let view: ReturnType<typeof committedView> | undefined;
        try {
            const binding = Object.hasOwn(this.#queries.transactions, fn) ? this.#queries : await this.#contract();
            checkInvocation(binding, fn, args);
            view = committedView(this.#store, this.#db.snapshot());
            const stub = new EmbeddedStub(view, newTxId(this.#identity), Date.now(), { signal: options.signal });
            let result: string;
            try {
                result = await invokeContract(binding, fn, args, stub, this.#clientIdentity);
            } catch (error) {
                throw translateContractError(error, { fn });
            }
            const effects = stub.effects();
            if (effects.writes.size > 0 || effects.event) {
                throw new TrackerError('INVALID_ARGUMENT', `${fn} writes to the ledger, so it cannot be evaluated; submit it instead`);
            }
            return result;
        } finally {
            await view?.close();
            this.#leave();
        }
    }

    events(options: EventOptions = {}): AsyncIterable<LedgerEvent> {
        const start = options.startBlock;
        if (start !== undefined && start < 0n) throw new TrackerError('INVALID_ARGUMENT', `startBlock must be >= 0, got ${start}`);
        return {
            [Symbol.asyncIterator]: () => {
                this.#checkOpen();
                const from = start === undefined ? this.#height : Number(start);
                return this.#events.subscribe(from, () => this.#height, (a, b) => this.#readEvents(a, b), options.signal);
            },
        };
    }

    async info(): Promise<LedgerInfo> {
        this.#checkOpen();
        return { backend: 'embedded', height: BigInt(this.#height) };
    }

    async verify(): Promise<LedgerVerification> {
        this.#checkOpen();
        this.#enter();
        try {
            // Capture a consistent point (no block half-way) and let commits go on meanwhile:
            // verify reads the file up to that size and LevelDB through a snapshot.
            const point = await this.#withCommitLock(async () => ({
                snapshot: this.#db.snapshot(),
                height: this.#height,
                fileSize: this.#file.size,
            }));
            try {
                return await verifyLedger({
                    dir: this.dir,
                    file: this.#file,
                    db: this.#db,
                    identity: this.#identity,
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
            while (this.#inflight > 0 || this.#queue.length > 0 || this.#committing) {
                await new Promise<void>((resolve) => {
                    this.#idle = resolve;
                });
            }
            this.#events.close();
            await this.#file.close().catch(() => undefined);
            await this.#db.close().catch(() => undefined);
            await releaseOwner(this.dir);
        })();
        return this.#closed;
    }

    [Symbol.asyncDispose](): Promise<void> {
        return this.close();
    }

    // ---------------------------------------------------------------- write path

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

    /** Runs simulations one after another, so each sees every transaction ordered before it. */
    #serially<T>(task: () => Promise<T>): Promise<T> {
        const run = this.#executing.then(task);
        this.#executing = run.catch(() => undefined);
        return run;
    }

    async #simulate(binding: ContractBinding, fn: string, args: readonly string[], signal: AbortSignal | undefined): Promise<QueuedTx> {
        // Checked again here: the ledger may have failed or been aborted while this waited its turn.
        this.#checkWritable(true);
        checkAborted(signal);
        const txId = newTxId(this.#identity);
        const timestampMs = Date.now();
        const stub = new EmbeddedStub(pendingView(committedView(this.#store), this.#overlay), txId, timestampMs, { signal });
        let result: string;
        try {
            result = await invokeContract(binding, fn, args, stub, this.#clientIdentity);
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
            creator: { mspId: this.#clientIdentity.getMSPID(), id: this.#clientIdentity.getID() },
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
                    await this.#withCommitLock(() => this.#commitBlock(batch));
                }
            } finally {
                this.#committing = undefined;
                this.#notifyIdle();
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
        if (this.#failure) {
            for (const tx of batch) tx.reject(this.#failure);
            return;
        }
        const number = this.#height;
        const body: BlockBody = {
            number,
            previousHash: this.#lastHash,
            timestamp: new Date().toISOString(),
            txs: batch.map((tx) => tx.entry),
        };
        const { line, hash } = encodeBlock(body, this.#signer);
        let offset: number;
        try {
            offset = await this.#file.append(line);
        } catch (error) {
            // Nothing of this block counts: cut whatever part of it reached the file. If even that
            // fails, the block may be replayed on reopen, so its transactions' outcome is unknown,
            // which the interface signals with a transaction id on the error.
            const cut = await this.#file.truncate(this.#file.size).then(
                () => true,
                () => false,
            );
            const message =
                `writing block ${number} to ${this.#file.path} failed (${(error as Error).message}); ` +
                (cut ? 'nothing of it was committed' : 'its transactions may or may not be committed') +
                '; free disk space or fix permissions, then reopen the ledger';
            this.#fail(new TrackerError('LEDGER_UNAVAILABLE', message, { cause: error }));
            for (const tx of batch) {
                tx.reject(cut ? this.#failure : new TrackerError('LEDGER_UNAVAILABLE', message, { cause: error, transactionId: tx.entry.id }));
            }
            return;
        }
        // The block is durable: from here on its transactions are committed, whatever happens.
        try {
            await this.#applyBlock({
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
        this.#height = number + 1;
        this.#lastHash = hash;
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

    /** Applies one block to LevelDB atomically and refreshes the read cache. */
    async #applyBlock(block: AppliedBlock): Promise<void> {
        this.#store.applying = true;
        try {
            await this.#db.batch(blockOps(block));
            for (const tx of block.txs) for (const write of tx.writes) this.#store.cache.update(write.key, write.value);
        } finally {
            this.#store.generation += 1;
            this.#store.applying = false;
        }
    }

    #fail(error: TrackerError): void {
        this.#failure ??= error;
        this.#overlay.clear();
        // Everything queued was simulated on top of what just failed.
        for (const tx of this.#queue.splice(0)) tx.reject(this.#failure);
    }

    #withCommitLock<T>(task: () => Promise<T>): Promise<T> {
        const run = this.#commitLock.then(task);
        this.#commitLock = run.then(
            () => undefined,
            () => undefined,
        );
        return run;
    }

    async *#readEvents(from: number, to: number): AsyncGenerator<{ number: number; events: LedgerEvent[] }> {
        try {
            yield* this.#readEventsUnguarded(from, to);
        } catch (error) {
            // close() released the file under a replaying subscriber: the stream just ends.
            if (this.#closing) return;
            throw new TrackerError('LEDGER_UNAVAILABLE', `reading events from ${this.#file.path} failed: ${(error as Error).message}`, { cause: error });
        }
    }

    async *#readEventsUnguarded(from: number, to: number): AsyncGenerator<{ number: number; events: LedgerEvent[] }> {
        if (from >= to) return;
        const index = await this.#db.get(blockIndexKey(from));
        if (index === undefined) return;
        const { offset } = decodeBlockIndex(index);
        let expected = from;
        for await (const line of this.#file.lines(offset)) {
            if ('torn' in line || expected >= to) return;
            let block: DecodedBlock;
            try {
                block = decodeBlock(line.bytes);
            } catch {
                return; // damaged; verify() names it
            }
            const blockNumber = BigInt(block.body.number);
            const events: LedgerEvent[] = [];
            for (const tx of block.body.txs) {
                if (tx.event) events.push({ blockNumber, transactionId: tx.id, eventName: tx.event.name, payload: eventPayloadText(tx.event) });
            }
            yield { number: block.body.number, events };
            expected = block.body.number + 1;
        }
    }

    // ---------------------------------------------------------------- lifecycle helpers

    #checkOpen(): void {
        if (this.#closing) throw new TrackerError('LEDGER_UNAVAILABLE', `the ledger in ${this.dir} is closed; open it again`);
    }

    #checkWritable(alreadyAdmitted = false): void {
        if (!alreadyAdmitted) this.#checkOpen();
        if (this.#failure) throw this.#failure;
        if (this.#damage) {
            throw new TrackerError('LEDGER_CORRUPT', `the ledger in ${this.dir} is damaged (${this.#damage}); run \`hyperprov verify --ledger\` and restore the ledger directory from a backup`);
        }
    }

    #enter(): void {
        this.#inflight += 1;
    }

    #leave(): void {
        this.#inflight -= 1;
        this.#notifyIdle();
    }

    #notifyIdle(): void {
        if (this.#inflight === 0 && this.#queue.length === 0 && !this.#committing && this.#idle) {
            const idle = this.#idle;
            this.#idle = undefined;
            idle();
        }
    }
}

const NONCE_BYTES = 24;
let noncePool = Buffer.alloc(0);
let nonceAt = 0;

/** Fabric-style transaction id: SHA-256 of a fresh nonce and the creator's certificate. */
function newTxId(identity: LocalIdentity): string {
    // One CSPRNG call per 256 ids instead of one per id.
    if (nonceAt + NONCE_BYTES > noncePool.length) {
        noncePool = randomBytes(NONCE_BYTES * 256);
        nonceAt = 0;
    }
    const nonce = noncePool.subarray(nonceAt, (nonceAt += NONCE_BYTES));
    return createHash('sha256').update(nonce).update(identity.certificatePem).digest('hex');
}

function payloadFields(payload: Buffer): { payload: string } | { payloadBase64: string } {
    const encoded = encodeValue(payload);
    return 'value' in encoded ? { payload: encoded.value } : { payloadBase64: encoded.valueBase64 };
}

function checkAborted(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new TrackerError('ABORTED', 'the operation was aborted before anything was submitted', { cause: signal.reason });
}

function normalizePem(pem: string): string {
    return pem.replace(/\s+/g, '');
}
