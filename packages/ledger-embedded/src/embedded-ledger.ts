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
 * Recovery (open): blocks after the savepoint are re-applied, so a killed process never leaves a
 * half-applied block, and state can always be rebuilt from the blocks (verify() does exactly that
 * and compares). Opening never changes the block file: a read-only command must not destroy what
 * it was asked to look at. A torn last line (an interrupted append) is reported and cut off just
 * before the next append; anything else that does not fit (the last applied block no longer where
 * it was, a file shorter than the state, a complete block that fails its checks) is damage, kept
 * as evidence, and refuses writes until a person repairs it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import { checkIdentity, type LocalIdentity } from '@hyperprov/ledger';
import { LocalClientIdentity } from './client-identity.js';
import { createLocalSigner, createSignatureVerifier, type SignatureVerifier, type LocalSigner } from '@hyperprov/ledger';
import type { EventOptions, Ledger, LedgerAttention, LedgerEvent, LedgerInfo, SubmitResult } from '@hyperprov/ledger';
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
import {
    appliedFromDecoded,
    blockIndexKey,
    blockOps,
    decodeBlockIndex,
    openDb,
    readSavepoint,
    type AppliedBlock,
    type Db,
    type Savepoint,
} from './state-db.js';
import { EmbeddedStub } from './stub.js';
import { Overlay, StateCache, committedView, pendingView, type CommittedStore, type PendingTx } from './state-views.js';
import { VERIFY_SCRATCH_PREFIX, verifyLedger, type LedgerVerification } from './verify.js';

export type { LedgerVerification, LedgerProblem } from './verify.js';

/** Files inside the ledger directory. */
export const LEDGER_FILES = { blocks: 'blocks.log', state: 'state' } as const;

/** Options of {@link openEmbeddedLedger}. */
export interface EmbeddedLedgerOptions {
    /** Directory of the ledger (created if missing, unless `create` is false). */
    dir: string;
    /**
     * Create a new ledger when `dir` holds none (default true). An initialised project passes
     * false: its ledger was created at init, so a missing one (moved, deleted, mistyped path) is
     * an error (LEDGER_CORRUPT), never silently replaced by an empty ledger that hides every record.
     */
    create?: boolean;
    /** Signs blocks and is the creator of every transaction. */
    identity: LocalIdentity;
    /** `fsync` (default): a resolved submit survives power loss. `none`: survives process crashes only. */
    durability?: 'fsync' | 'none';
    /** The contract to run; default the provenance contract from @hyperprov/chaincode. */
    contract?: ContractBinding;
    /** How long to wait in line for other processes to release the ledger; default 120 000 ms. */
    lockTimeoutMs?: number;
    /** Told once, when the ledger has been busy for a second, whom this open waits for. */
    onLockWait?: (message: string) => void;
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
     * go on while it runs: it reads the file and a LevelDB snapshot as of one moment.
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
/** Long enough for dozens of queued commands (each holds the ledger for well under a second). */
const DEFAULT_LOCK_TIMEOUT_MS = 120_000;
const NEWLINE = 0x0a;

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
    /** Why the ledger cannot accept writes (damaged files), and what to do; reads and verify still work. */
    #damage: string | undefined;
    /**
     * Why state is not backed by the block file as it is now (blocks it was applied from are gone
     * or changed), and what to do: reads are refused too, since they would answer from records no
     * block backs. verify() still works.
     */
    #unbacked: string | undefined;
    /** Unapplied bytes an interrupted append left at the end of the file; cut before the next append. */
    #tail: { offset: number; message: string } | undefined;
    /** Where the last applied block ends in the file. */
    #committedEnd = 0;
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
        const create = options.create ?? true;
        const blocksPath = join(dir, LEDGER_FILES.blocks);
        if (create) {
            try {
                await mkdir(dir, { recursive: true });
            } catch (error) {
                throw new TrackerError('LEDGER_UNAVAILABLE', `cannot create the ledger directory ${dir}: ${(error as Error).message}`, { cause: error });
            }
        } else if (!(await isFile(blocksPath))) {
            // Checked before LevelDB is opened, which would create state/ (and so a ledger folder).
            throw new TrackerError(
                'LEDGER_CORRUPT',
                `there is no ledger in ${dir} (${blocksPath} does not exist) and none may be created here; restore the ledger directory from a backup, or open the right one`,
            );
        }
        const db = await openLocked(() => openDb(join(dir, LEDGER_FILES.state)), dir, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, options.onLockWait);
        let file: BlockFile | undefined;
        try {
            // Scratch databases of a verify() that was killed; nobody else can be verifying now.
            for (const name of await readdir(dir)) {
                if (name.startsWith(VERIFY_SCRATCH_PREFIX)) await rm(join(dir, name), { recursive: true, force: true });
            }
            file = await BlockFile.open(blocksPath, { sync: (options.durability ?? 'fsync') === 'fsync', create });
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
            await ledger.#recover(create);
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

    async #recover(create: boolean): Promise<void> {
        const savepoint = await readSavepoint(this.#db);
        let expected = savepoint ? savepoint.number + 1 : 0;
        let previous = savepoint ? savepoint.hash : GENESIS_PREVIOUS_HASH;
        const from = savepoint ? savepoint.end : 0;
        this.#height = expected;
        this.#lastHash = previous;
        this.#committedEnd = from;
        if (savepoint) {
            // Blocks are only ever appended after the savepoint; if the last applied block is not
            // where and what it was, the file was cut or edited, and whatever follows the
            // savepoint offset is not a block boundary (treating it as one glued new blocks onto
            // old ones and cut real bytes as a "torn" tail).
            this.#unbacked = await this.#savepointProblem(savepoint);
            if (this.#unbacked) return;
        }
        const path = this.#file.path;
        let pendingBad: { offset: number; reason: string; number: number } | undefined;
        for await (const line of this.#file.lines(from)) {
            if ('torn' in line) {
                const offset = pendingBad?.offset ?? line.torn;
                this.#tail = {
                    offset,
                    message: `${path} ends with an incomplete block at byte ${offset} (a write interrupted by a crash or power loss, never acknowledged): nothing committed is lost, and the next write cuts it off`,
                };
                pendingBad = undefined;
                break;
            }
            if (pendingBad) {
                // A bad line followed by more is damage, not an interrupted write: keep the file as is.
                this.#damage =
                    `block ${pendingBad.number} at byte ${pendingBad.offset} of ${path} is unreadable (${pendingBad.reason}) and more data follows it, ` +
                    `so it is damage, not an interrupted write; run \`hyperprov verify --ledger\` to see every problem, then restore ${path} from a backup`;
                pendingBad = undefined;
                break;
            }
            let block: DecodedBlock;
            try {
                block = decodeBlock(line.bytes);
            } catch (error) {
                // Unreadable: an interrupted write if nothing follows it (decided at the next line or the end).
                pendingBad = { offset: line.offset, reason: (error as Error).message, number: expected };
                continue;
            }
            // An append interrupted by power loss leaves zeros where data did not reach the disk,
            // which no longer parses. A line that parses as a block was written whole: if it still
            // does not fit, it was put there, and it is evidence for verify(), not something to cut.
            const hashError = hashProblem(block);
            const misfit = hashError
                ? `its content does not match its hash (${hashError})`
                : block.body.number !== expected
                  ? `it is numbered ${block.body.number}`
                  : block.body.previousHash !== previous
                    ? 'its previous hash does not link to the block before'
                    : !signatureValid(block, this.#verifier)
                      ? "its signature does not verify against the identity's certificate"
                      : undefined;
            if (misfit) {
                const after = expected === 0 ? 'the first block' : `after block ${expected - 1}, the last one applied`;
                const isLast = line.end === this.#file.size;
                this.#damage =
                    `block ${expected} at byte ${line.offset} of ${path} (${after}) is complete but ${misfit}; an interrupted write leaves an incomplete ` +
                    'or unreadable line, never this, so it is kept as evidence and not applied. ' +
                    (isLast
                        ? `If it should not be there, keep a copy of the file and cut it back to the applied blocks with \`truncate -s ${line.offset} ${path}\`; otherwise restore ${path} from a backup`
                        : `Run \`hyperprov verify --ledger\` to see every problem, then restore ${path} from a backup`);
                break;
            }
            await this.#applyBlock(appliedFromDecoded(block, line.offset, line.end - line.offset));
            expected += 1;
            previous = block.hash;
            this.#committedEnd = line.end;
        }
        if (pendingBad) {
            // The last line is complete but unreadable: an append torn by power loss. It was never
            // applied (it is after the savepoint) and so never acknowledged; the next write drops it.
            this.#tail = {
                offset: pendingBad.offset,
                message: `${path} ends with an unreadable line at byte ${pendingBad.offset} (${pendingBad.reason}; a write interrupted by power loss, never acknowledged): nothing committed is lost, and the next write cuts it off`,
            };
        }
        this.#height = expected;
        this.#lastHash = previous;
        if (this.#height === 0 && !this.#damage) {
            if (!create) {
                throw new TrackerError('LEDGER_CORRUPT', `the ledger in ${this.dir} has no blocks (${path} is empty), and none may be created here; restore ${path} from a backup`);
            }
            await this.#writeGenesis();
        } else if (!this.#damage) {
            await this.#checkGenesisIdentity();
        }
    }

    /** Why the last applied block is not intact in the block file any more, or undefined if it is. */
    async #savepointProblem(savepoint: Savepoint): Promise<string | undefined> {
        const path = this.#file.path;
        const size = this.#file.size;
        const stateDir = join(this.dir, LEDGER_FILES.state);
        if (savepoint.end > size) {
            const first = await this.#firstBlockPast(size, savepoint.number);
            const blocks = first === savepoint.number ? `block ${first} is` : `blocks ${first}-${savepoint.number} are`;
            return (
                `${path} was truncated or replaced after it was committed: it ends at byte ${size}, but block ${savepoint.number} ended at byte ${savepoint.end}, ` +
                `so ${blocks} cut short or missing while the state database still holds their records, which no block backs now. ` +
                `Restore ${path} from a backup; or, to go on with the blocks that remain and lose the records of ${first === savepoint.number ? `block ${first}` : `blocks ${first}-${savepoint.number}`}, ` +
                `delete ${stateDir} (it is rebuilt from the blocks on the next open)`
            );
        }
        const index = await this.#db.get(blockIndexKey(savepoint.number));
        const offset = index ? decodeBlockIndex(index).offset : undefined;
        let why: string | undefined;
        if (offset === undefined || offset >= savepoint.end) {
            const last = await this.#file.read(savepoint.end - 1, 1);
            if (last[0] !== NEWLINE) why = `byte ${savepoint.end - 1} should end that block's line`;
        } else {
            const bytes = await this.#file.read(offset, savepoint.end - offset);
            if (bytes[bytes.length - 1] !== NEWLINE) {
                why = 'its line no longer ends where it did';
            } else {
                try {
                    const block = decodeBlock(bytes.subarray(0, bytes.length - 1));
                    const hashError = hashProblem(block);
                    if (hashError) why = hashError;
                    else if (block.hash !== savepoint.hash || block.body.number !== savepoint.number) why = 'another block is in its place';
                } catch (error) {
                    why = `it is unreadable there: ${(error as Error).message}`;
                }
            }
        }
        if (why === undefined) return undefined;
        const where = offset === undefined ? `ending at byte ${savepoint.end}` : `at bytes ${offset}-${savepoint.end}`;
        return (
            `block ${savepoint.number}, the last committed block, is no longer intact ${where} of ${path} (${why}): the file was edited after it was ` +
            'committed (bytes inserted, removed or changed), so the state database holds records the file no longer backs, and nothing is read or ' +
            `written until it is repaired. Run \`hyperprov verify --ledger\` to find the first damaged block, then restore ${path} from a backup`
        );
    }

    /** The first block (at most `last`) that does not lie wholly within the first `size` bytes. */
    async #firstBlockPast(size: number, last: number): Promise<number> {
        let first = last;
        for await (const [key, value] of this.#db.iterator({ gte: blockIndexKey(0), lte: blockIndexKey(last), reverse: true })) {
            const { offset, length } = decodeBlockIndex(value);
            if (offset + length <= size) break;
            first = Number(key.readBigUInt64BE(1));
        }
        return first;
    }

    async #cutTail(): Promise<void> {
        if (!this.#tail) return;
        await this.#file.truncate(this.#tail.offset);
        this.#tail = undefined;
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
        await this.#cutTail();
        const offset = await this.#file.append(line);
        await this.#applyBlock({ number: 0, offset, length: line.length, hash, txs: [] });
        this.#height = 1;
        this.#lastHash = hash;
        this.#committedEnd = offset + line.length;
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
        if (this.#unbacked) throw new TrackerError('LEDGER_CORRUPT', `the ledger in ${this.dir} cannot answer: ${this.#unbacked}`);
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
        const problem = this.#unbacked ?? this.#damage;
        const attention: LedgerAttention | undefined = problem
            ? { kind: 'damaged', message: problem }
            : this.#tail && { kind: 'interrupted-write', message: this.#tail.message };
        return { backend: 'embedded', height: BigInt(this.#height), ...(attention && { attention }) };
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
                committedEnd: this.#committedEnd,
                ...(this.#tail && { tail: { ...this.#tail } }),
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
        try {
            await this.#cutTail();
        } catch (error) {
            this.#fail(
                new TrackerError(
                    'LEDGER_UNAVAILABLE',
                    `cutting the incomplete block off the end of ${this.#file.path} failed (${(error as Error).message}); nothing was committed; fix permissions or free disk space, then retry`,
                    { cause: error },
                ),
            );
            for (const tx of batch) tx.reject(this.#failure);
            return;
        }
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
        this.#committedEnd = offset + line.length;
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
        const damage = this.#unbacked ?? this.#damage;
        if (damage) throw new TrackerError('LEDGER_CORRUPT', `the ledger in ${this.dir} refuses writes: ${damage}`);
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

async function isFile(path: string): Promise<boolean> {
    try {
        return (await stat(path)).isFile();
    } catch {
        return false;
    }
}

function normalizePem(pem: string): string {
    return pem.replace(/\s+/g, '');
}
