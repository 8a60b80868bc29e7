/**
 * verify(): the embedded ledger checks itself the way an auditor would.
 * 1. The chain: every line of the block file is a block numbered in sequence, linked to the
 *    previous block's hash, whose hash matches its bytes and whose signature verifies against the
 *    identity's certificate; block 0 carries that certificate.
 * 2. The state: state, history and indexes are re-derived from the blocks into a scratch LevelDB
 *    and compared key by key with the ledger's, so any edit of LevelDB is found and named.
 * Memory stays bounded: blocks stream from the file and both databases are scanned in order.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createSignatureVerifier } from '@hyperprov/ledger';
import type { LedgerProblem, LedgerVerification, LocalIdentity } from '@hyperprov/ledger';
import { decodeBlock, hashProblem, signatureValid, GENESIS_PREVIOUS_HASH, type DecodedBlock } from './block.js';
import type { BlockFile } from './block-file.js';
import { NS_BLOCK, NS_HISTORY, NS_META, NS_STATE, NS_TX, appliedFromDecoded, blockOps, openDb, type BatchOp, type Db } from './state-db.js';

// The result types live in @hyperprov/ledger (shared with the Fabric backend); re-exported for old importers.
export type { LedgerProblem, LedgerVerification };

/** A consistent point of the ledger to verify. */
export interface VerifyInput {
    dir: string;
    file: BlockFile;
    db: Db;
    /** LevelDB as of `height` blocks. */
    snapshot: ReturnType<Db['snapshot']>;
    identity: LocalIdentity;
    height: number;
    /** Size of the file at that moment; later bytes are blocks committed meanwhile. */
    fileSize: number;
    /** Where the last applied block ends: a line cut short before it lost committed blocks. */
    committedEnd: number;
    /** Unapplied bytes of an interrupted append at the end, which the next write cuts off: not checked. */
    tail?: { offset: number; message: string };
}

/** Name prefix of verify()'s scratch LevelDB inside the ledger directory. */
export const VERIFY_SCRATCH_PREFIX = 'verify-';

const MAX_PROBLEMS = 100;
const BATCH_OPS = 20_000;
const SCAN_BATCH = 512;
const LOOKUP_BATCH = 4096;

/** Checks chain and state as of `input`; see the file comment. */
export async function verifyLedger(input: VerifyInput): Promise<LedgerVerification> {
    const problems: LedgerProblem[] = [];
    const add = (problem: LedgerProblem): boolean => {
        if (problems.length < MAX_PROBLEMS) problems.push(problem);
        return problems.length < MAX_PROBLEMS;
    };
    const scratchDir = join(input.dir, `${VERIFY_SCRATCH_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
    const scratch = openDb(scratchDir);
    await scratch.open();
    try {
        const { blocks, otherFound } = await checkChain(input, scratch, add, 'check');
        if (blocks !== input.height) {
            add({ message: `the block file holds ${blocks} readable blocks but ${input.height} were committed` });
        }
        // World state is overwritten block after block, so it is compared as a whole.
        await compareDatabases(input.db, input.snapshot, scratch, STATE_RANGE, 'all', add);
        // History and indexes were checked entry by entry; entries no block produced show up as
        // more entries than were found, and only then is the slower key-by-key comparison needed
        // to name them.
        if ((await countOutsideState(input.db, input.snapshot)) !== otherFound) {
            await scratch.clear();
            await checkChain(input, scratch, () => true, 'collect');
            await compareDatabases(input.db, input.snapshot, scratch, BELOW_STATE, 'extra', add);
            await compareDatabases(input.db, input.snapshot, scratch, ABOVE_STATE, 'extra', add);
        }
        const notes = input.tail ? [input.tail.message] : [];
        return { ok: problems.length === 0, height: BigInt(input.height), problems, ...(notes.length > 0 && { notes }) };
    } finally {
        await scratch.close().catch(() => undefined);
        await rm(scratchDir, { recursive: true, force: true });
    }
}

interface KeyRange {
    gte?: Buffer;
    lt?: Buffer;
}

const STATE_RANGE: KeyRange = { gte: Buffer.of(NS_STATE), lt: Buffer.of(NS_STATE + 1) };
const BELOW_STATE: KeyRange = { lt: Buffer.of(NS_STATE) };
const ABOVE_STATE: KeyRange = { gte: Buffer.of(NS_STATE + 1) };

/**
 * Streams the chain and checks every block. In `check` mode, state writes go to `scratch` and
 * every history/index entry a block produces is looked up in the ledger's LevelDB directly
 * (each is written exactly once, so no scratch copy is needed); returns the block count and how
 * many of those entries the ledger has. In `collect` mode, history/index keys go to `scratch` instead.
 */
async function checkChain(
    input: VerifyInput,
    scratch: Db,
    add: (p: LedgerProblem) => boolean,
    mode: 'check' | 'collect',
): Promise<{ blocks: number; otherFound: number }> {
    const verifier = createSignatureVerifier(input.identity.certificatePem);
    const readOptions = { snapshot: input.snapshot };
    let expected = 0;
    let previous: string | undefined = GENESIS_PREVIOUS_HASH;
    let ops: BatchOp[] = [];
    let otherFound = 0;
    let savepoint: BatchOp | undefined;
    const lookups: Extract<BatchOp, { type: 'put' }>[] = [];
    let pendingLookup: Promise<void> = Promise.resolve();
    const checkEntries = async (entries: Extract<BatchOp, { type: 'put' }>[]): Promise<void> => {
        const values = await input.db.getMany(
            entries.map((e) => e.key),
            readOptions,
        );
        entries.forEach((entry, i) => {
            const actual = values[i];
            if (actual === undefined) {
                add(describe(entry.key, 'is in the blocks but missing from the state database'));
            } else {
                otherFound += 1;
                if (!actual.equals(entry.value)) add(describe(entry.key, 'differs from what the blocks say'));
            }
        });
    };
    for await (const line of input.file.lines(0, input.tail?.offset ?? input.fileSize)) {
        if ('torn' in line) {
            if (line.torn >= input.committedEnd) {
                add({ block: expected, message: `block ${expected}: incomplete line at byte ${line.torn} of ${input.file.path}, after the committed blocks (never applied)` });
                break;
            }
            add({
                block: expected,
                message:
                    `block ${expected} is cut short at byte ${line.torn} of ${input.file.path}: the file was truncated after the block was committed, ` +
                    `and the state database still holds its records. Restore ${input.file.path} from a backup; or, to go on without block ${expected} ` +
                    `and any after it, delete ${join(input.dir, 'state')} (it is rebuilt from the blocks that remain on the next open)`,
            });
            break;
        }
        let block: DecodedBlock;
        try {
            block = decodeBlock(line.bytes);
        } catch (error) {
            add({ block: expected, message: `block ${expected} (bytes ${line.offset}-${line.end}) is unreadable: ${(error as Error).message}` });
            expected += 1;
            previous = undefined;
            continue;
        }
        const number = block.body.number;
        const where = `block ${expected}`;
        if (number !== expected) add({ block: expected, message: `${where}: numbered ${number}, expected ${expected}` });
        if (previous !== undefined && block.body.previousHash !== previous) {
            add({ block: expected, message: `${where}: previous hash does not match block ${expected - 1}'s hash; the chain is broken here` });
        }
        const hashError = hashProblem(block);
        if (hashError) add({ block: expected, message: `${where}: content was altered (${hashError})` });
        if (!signatureValid(block, verifier)) {
            add({ block: expected, message: `${where}: signature does not verify against the identity's certificate` });
        }
        if (expected === 0) {
            const config = block.body.config;
            if (!config || config.certificatePem.replace(/\s+/g, '') !== input.identity.certificatePem.replace(/\s+/g, '')) {
                add({ block: 0, message: 'block 0 does not carry this identity\'s certificate: the ledger was created by another identity' });
            }
        }
        for (const op of blockOps(appliedFromDecoded(block, line.offset, line.end - line.offset))) {
            const namespace = op.key[0];
            if (namespace === NS_STATE) {
                if (mode === 'check') ops.push(op);
            } else if (namespace === NS_META) {
                savepoint = op; // rewritten by every block: only the last one counts
            } else if (mode === 'collect') {
                ops.push({ type: 'put', key: op.key, value: EMPTY });
            } else if (op.type === 'put') {
                lookups.push(op);
            }
        }
        if (lookups.length >= LOOKUP_BATCH) {
            // One multi-get on LevelDB's threads while the main thread parses the next blocks.
            await pendingLookup;
            pendingLookup = checkEntries(lookups.splice(0));
        }
        if (ops.length >= BATCH_OPS) {
            await scratch.batch(ops);
            ops = [];
        }
        previous = block.hash;
        expected += 1;
    }
    await pendingLookup;
    if (lookups.length) await checkEntries(lookups.splice(0));
    if (savepoint?.type === 'put') {
        if (mode === 'collect') {
            ops.push({ type: 'put', key: savepoint.key, value: EMPTY });
        } else {
            const actual = input.db.getSync(savepoint.key, readOptions);
            if (actual !== undefined) otherFound += 1;
            if (!actual?.equals(savepoint.value)) add(describe(savepoint.key, 'differs from the last block'));
        }
    }
    if (ops.length) await scratch.batch(ops);
    return { blocks: expected, otherFound };
}

const EMPTY = Buffer.alloc(0);

/** Number of LevelDB entries outside the world-state namespace (history, indexes, metadata). */
async function countOutsideState(db: Db, snapshot: ReturnType<Db['snapshot']>): Promise<number> {
    let count = 0;
    for (const range of [BELOW_STATE, ABOVE_STATE]) {
        const keys = db.keys({ ...range, snapshot });
        try {
            for (let batch = await keys.nextv(SCAN_BATCH); batch.length > 0; batch = await keys.nextv(SCAN_BATCH)) count += batch.length;
        } finally {
            await keys.close();
        }
    }
    return count;
}

/**
 * Walks both databases over `range` in key order. `all` reports every difference; `extra` only
 * keys the ledger has and the blocks do not (the rest was reported already).
 */
async function compareDatabases(
    actualDb: Db,
    snapshot: ReturnType<Db['snapshot']>,
    expectedDb: Db,
    range: KeyRange,
    report: 'all' | 'extra',
    add: (p: LedgerProblem) => boolean,
): Promise<void> {
    const actual = actualDb.iterator({ ...range, snapshot });
    const expected = expectedDb.iterator(range);
    try {
        const a = new Cursor(actual);
        const e = new Cursor(expected);
        for (;;) {
            const [ak, av] = await a.peek();
            const [ek, ev] = await e.peek();
            if (!ak && !ek) return;
            const order = !ak ? 1 : !ek ? -1 : Buffer.compare(ak, ek);
            let keep = true;
            if (order === 0) {
                if (report === 'all' && !(av as Buffer).equals(ev as Buffer)) keep = add(describe(ak as Buffer, 'differs from what the blocks say'));
                a.advance();
                e.advance();
            } else if (order < 0) {
                keep = add(describe(ak as Buffer, 'is in the state database but in no block'));
                a.advance();
            } else {
                if (report === 'all') keep = add(describe(ek as Buffer, 'is in the blocks but missing from the state database'));
                e.advance();
            }
            if (!keep) return;
        }
    } finally {
        await actual.close();
        await expected.close();
    }
}

class Cursor {
    readonly #iterator: ReturnType<Db['iterator']>;
    #entries: [Buffer, Buffer][] = [];
    #index = 0;
    #done = false;

    constructor(iterator: ReturnType<Db['iterator']>) {
        this.#iterator = iterator;
    }

    async peek(): Promise<[Buffer | undefined, Buffer | undefined]> {
        if (this.#index >= this.#entries.length && !this.#done) {
            this.#entries = (await this.#iterator.nextv(SCAN_BATCH)) as [Buffer, Buffer][];
            this.#index = 0;
            if (this.#entries.length === 0) this.#done = true;
        }
        const entry = this.#entries[this.#index];
        return entry ? [entry[0], entry[1]] : [undefined, undefined];
    }

    advance(): void {
        this.#index += 1;
    }
}

/** Names a database key for humans. */
function describe(key: Buffer, what: string): LedgerProblem {
    switch (key[0]) {
        case NS_STATE: {
            const name = key.toString('utf8', 1);
            return { key: name, message: `state of key ${JSON.stringify(name)} ${what}` };
        }
        case NS_HISTORY: {
            const length = key.readUInt32BE(1);
            const name = key.toString('utf8', 5, 5 + length);
            const block = Number(key.readBigUInt64BE(5 + length));
            return { key: name, block, message: `history entry of key ${JSON.stringify(name)} from block ${block} ${what}` };
        }
        case NS_TX:
            return { message: `transaction index entry of ${key.toString('utf8', 1)} ${what}` };
        case NS_BLOCK: {
            const block = Number(key.readBigUInt64BE(1));
            return { block, message: `block index entry of block ${block} ${what}` };
        }
        default:
            return { message: `ledger metadata ${JSON.stringify(key.toString('utf8'))} ${what}` };
    }
}
