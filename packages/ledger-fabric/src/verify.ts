/**
 * verify() for a Fabric channel, as far as one client can check it soundly:
 * 1. The hash chain, on the gateway peer: every block from 0 to the height is streamed and
 *    checked: numbered in sequence, data hash = SHA-256 of its entries, previous hash = the
 *    recomputed header hash of the block before; the last header hash must be the peer's own
 *    chain head (qscc GetChainInfo). This proves the blocks are one unbroken chain, not that
 *    the peer is honest: see 3.
 * 2. Records against the chain: the writes of every VALID transaction of the contract's
 *    namespace are replayed in memory (record ids → digest of the record JSON; key → latest
 *    record id). Then the contract, on the same peer, must return exactly those records by id
 *    (pages of getByCreator, then getFromId for any the pages did not show), the chain's latest
 *    record for every key, and no key or record that no valid transaction wrote (getByRange over
 *    all keys; a record not on the scanned chain is looked up by its transaction id, since it
 *    may have been committed after the scan). Invalid transactions' writes must not show. So a
 *    state database edited behind the chain's back is found; the chain itself is trusted from 1.
 * 3. Agreement: the peer of every other organisation in the connection file is asked for its
 *    height and for the block at the last height both have; that block must be internally
 *    consistent (data hash) and have the same header hash as ours. Since header hashes chain,
 *    equal hashes mean the organisations hold the same chain up to there; a peer rewriting its
 *    history (or answering with a doctored block) would have to fool the other organisations too.
 * Not checked: signatures of creators and endorsers (the peers checked them at commit).
 */
import { createHash } from 'node:crypto';
import type { common } from '@hyperledger/fabric-protos';
import { TrackerError } from '@hyperprov/errors';
import type { LedgerProblem, LedgerVerification } from '@hyperprov/ledger';
import { canonicalJson, type Page, type ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { blockDataHash, blockHeaderHash } from './block-hash.js';
import { decodeBlock, type BlockContent } from './block-content.js';
import type { ChainInfo } from './qscc.js';

const MAX_PROBLEMS = 100;
const LOOKUP_CONCURRENCY = 8;
const PAGE_SIZE = 1000;
const RECORD_PREFIX = '\u0000record\u0000';
/** A setMany transaction's records, one entry (the contract's INDEX.batch). */
const BATCH_PREFIX = '\u0000batch\u0000';

/** Checks a chain block by block (step 1). */
export class ChainChecker {
    #expected = 0n;
    #previousHash: Buffer | undefined;
    readonly #hashes: Buffer[] = [];

    /** Problems of `block`, which must be the next block of the chain. */
    add(block: BlockContent): LedgerProblem[] {
        const problems: LedgerProblem[] = [];
        const number = Number(block.number);
        if (block.number !== this.#expected) {
            problems.push({ block: number, message: `block ${block.number} arrived where block ${this.#expected} was expected: the chain has a gap or is out of order` });
        }
        const dataHash = blockDataHash(block.entries);
        if (!dataHash.equals(block.dataHash)) {
            problems.push({ block: number, message: `block ${block.number}'s data hash ${hex(block.dataHash)} does not match its ${block.entries.length} transactions (${hex(dataHash)}): its contents were changed` });
        }
        if (this.#previousHash && !this.#previousHash.equals(block.previousHash)) {
            problems.push({ block: number, message: `block ${block.number} does not link to block ${block.number - 1n}: previous hash ${hex(block.previousHash)}, but block ${block.number - 1n}'s header hashes to ${hex(this.#previousHash)}` });
        }
        for (const bad of block.undecodable) {
            problems.push({ block: number, message: `transaction ${bad.index} of block ${block.number} cannot be decoded: ${bad.message}` });
        }
        this.#previousHash = blockHeaderHash(block.number, block.previousHash, block.dataHash);
        this.#hashes.push(this.#previousHash);
        this.#expected = block.number + 1n;
        return problems;
    }

    /** Recomputed header hash of block `number`, once checked. */
    headerHash(number: bigint): Buffer | undefined {
        return this.#hashes[Number(number)];
    }

    get height(): bigint {
        return this.#expected;
    }
}

/** Compares the block another organisation's peer returned with our chain (step 3). */
export function compareOrgBlock(ownHash: Uint8Array, other: BlockContent, otherLabel: string): LedgerProblem[] {
    const problems: LedgerProblem[] = [];
    const number = Number(other.number);
    const dataHash = blockDataHash(other.entries);
    if (!dataHash.equals(other.dataHash)) {
        problems.push({ block: number, message: `${otherLabel} returned block ${other.number} whose data hash does not match its transactions: that peer's copy was changed` });
    }
    const otherHash = blockHeaderHash(other.number, other.previousHash, other.dataHash);
    if (!otherHash.equals(ownHash)) {
        problems.push({ block: number, message: `${otherLabel} and this peer disagree on block ${other.number} (header hash ${hex(otherHash)} there, ${hex(ownHash)} here): the organisations' ledgers have diverged or one was tampered with` });
    }
    return problems;
}

/** Replays the contract's writes of valid transactions (step 2). */
export class RecordReplay {
    /** Record id → SHA-256 of its canonical JSON, and the block that wrote it. */
    readonly records = new Map<string, { digest: string; block: number }>();
    /** Key → id of its latest record. */
    readonly latest = new Map<string, string>();
    /** Creator ids of the records (for the by-creator pages). */
    readonly creators = new Set<string>();
    readonly #namespace: string;

    constructor(namespace: string) {
        this.#namespace = namespace;
    }

    add(block: BlockContent): LedgerProblem[] {
        const problems: LedgerProblem[] = [];
        for (const tx of block.transactions) {
            if (tx.validationCode !== 0) continue;
            for (const write of tx.writes.get(this.#namespace) ?? []) {
                if (write.isDelete) continue;
                const isRecord = write.key.startsWith(RECORD_PREFIX);
                const isBatch = write.key.startsWith(BATCH_PREFIX);
                if (!isRecord && !isBatch && write.key.startsWith('\u0000')) continue; // index entries
                let value: unknown;
                try {
                    value = JSON.parse(Buffer.from(write.value).toString('utf8'));
                } catch {
                    value = undefined;
                }
                if (value === undefined || (isBatch && !Array.isArray(value))) {
                    problems.push({ block: Number(block.number), key: printable(write.key), message: `transaction ${tx.txId} wrote a value that is not ${isBatch ? 'a list of records' : 'a record'}` });
                    continue;
                }
                if (isRecord || isBatch) {
                    const records = isBatch ? (value as ProvenanceRecord[]) : [value as ProvenanceRecord];
                    records.forEach((record, n) => {
                        const id = isBatch ? `${write.key.slice(BATCH_PREFIX.length, -1)}.${n}` : write.key.slice(RECORD_PREFIX.length, -1);
                        this.records.set(id, { digest: digest(canonicalJson(record)), block: Number(block.number) });
                        if (typeof record?.creator?.id === 'string') this.creators.add(record.creator.id);
                    });
                } else this.latest.set(write.key, (value as ProvenanceRecord).id);
            }
        }
        return problems;
    }
}

/** Blocks in order; close() ends the stream early. */
export type BlockStream = AsyncIterable<common.Block> & { close?(): void };

/** What verifyFabricChain needs from the ledger. */
export interface VerifySource {
    /** The gateway peer's chain head. */
    chainInfo(): Promise<ChainInfo>;
    /** Blocks from 0 on, in order (the stream may go on past the height; it is closed early). */
    blocks(): BlockStream;
    /** A contract query on the gateway peer. */
    evaluate(fn: string, args: string[]): Promise<string>;
    /** Whether transaction `txId` is committed VALID (for records newer than the scan). */
    isValidTransaction(txId: string): Promise<boolean>;
    /** The peers of the other organisations: their chain head and a block by number. */
    otherPeers(): Promise<OtherPeer[]>;
    namespace: string;
}

export interface OtherPeer {
    label: string;
    chainInfo(): Promise<ChainInfo>;
    block(number: bigint): Promise<common.Block>;
}

/** Runs steps 1-3 of the file comment. */
export async function verifyFabricChain(source: VerifySource): Promise<LedgerVerification> {
    const problems: LedgerProblem[] = [];
    const notes: string[] = [];
    const add = (found: LedgerProblem[]): void => {
        for (const p of found) if (problems.length < MAX_PROBLEMS) problems.push(p);
    };
    const info = await source.chainInfo();
    const chain = new ChainChecker();
    const replay = new RecordReplay(source.namespace);
    if (info.height > 0n) {
        const stream = source.blocks();
        try {
            for await (const raw of stream) {
                const block = decodeBlock(raw);
                add(chain.add(block));
                add(replay.add(block));
                if (block.number >= info.height - 1n) break;
            }
        } finally {
            stream.close?.();
        }
        const head = chain.headerHash(info.height - 1n);
        if (!head) add([{ message: `the peer reports ${info.height} blocks but sent only ${chain.height}` }]);
        else if (!head.equals(info.currentBlockHash)) {
            add([{ block: Number(info.height - 1n), message: `the last block hashes to ${hex(head)}, but the peer reports its chain head as ${hex(info.currentBlockHash)}` }]);
        }
    }
    await checkRecords(source, replay, add);
    notes.push(`checked ${info.height} blocks and ${replay.records.size} records (${replay.latest.size} keys) against the gateway peer's state`);
    await checkOtherPeers(source, chain, info.height, add, notes);
    return { ok: problems.length === 0, height: info.height, problems, ...(notes.length > 0 && { notes }) };
}

async function checkRecords(source: VerifySource, replay: RecordReplay, add: (p: LedgerProblem[]) => void): Promise<void> {
    const seen = new Set<string>();
    const compare = (record: ProvenanceRecord, expected: { digest: string; block: number }): void => {
        seen.add(record.id);
        if (digest(canonicalJson(record)) !== expected.digest) {
            add([{ block: expected.block, key: record.id, message: `record ${record.id} in the peer's state differs from what block ${expected.block} wrote: the state database was changed` }]);
        }
    };
    // Records by id, a page of 1000 full records per call through the creator index (one
    // evaluate per record would take a minute per 10 000 records); what a page does not show is
    // looked up by id below, so a damaged index cannot hide a record.
    for (const creator of replay.creators) {
        let bookmark = '';
        try {
            do {
                const page = JSON.parse(await source.evaluate('getByCreator', [creator, String(PAGE_SIZE), bookmark])) as Page<ProvenanceRecord>;
                for (const record of page.items) {
                    const expected = replay.records.get(record.id);
                    if (expected) compare(record, expected);
                    else if (!(await source.isValidTransaction(txIdOf(record.id)))) {
                        add([{ key: record.id, message: `the peer's state holds record ${record.id} of ${creator}, which no valid transaction wrote` }]);
                    }
                }
                bookmark = page.bookmark;
            } while (bookmark !== '');
        } catch {
            // The index query failed (e.g. an entry names a missing record): the lookups by id below say which.
        }
    }
    await forEachLimited(
        [...replay.records].filter(([id]) => !seen.has(id)),
        async ([id, expected]) => {
            const got = await lookup(source, 'getFromId', id);
            if (got === undefined) add([{ block: expected.block, key: id, message: `record ${id} (block ${expected.block}) is on the chain but the peer's state does not have it` }]);
            else compare(got, expected);
        },
    );
    // The latest record of every key, a page of 1000 keys per call; keys the chain never wrote too.
    const checked = new Set<string>();
    let bookmark = '';
    do {
        const page = JSON.parse(await source.evaluate('getByRange', ['', '', String(PAGE_SIZE), bookmark])) as Page<ProvenanceRecord>;
        await forEachLimited(page.items, async (record) => {
            checked.add(record.key);
            const latest = replay.latest.get(record.key);
            if (record.id === latest) return;
            if (replay.records.has(record.id)) {
                add([{ key: record.key, message: `the peer's state holds record ${record.id} as the latest of ${JSON.stringify(record.key)}, but the chain's latest is ${latest}` }]);
            } else if (!(await source.isValidTransaction(txIdOf(record.id)))) {
                // Not on the scanned chain: committed since (valid) or written by nothing (a problem).
                add([{ key: record.key, message: `the peer's state holds key ${JSON.stringify(record.key)} (record ${record.id}), which no valid transaction wrote` }]);
            }
        });
        bookmark = page.bookmark;
    } while (bookmark !== '');
    for (const key of replay.latest.keys()) {
        if (!checked.has(key)) add([{ key, message: `key ${JSON.stringify(key)} has records on the chain but the peer's state does not have it` }]);
    }
}

async function checkOtherPeers(source: VerifySource, chain: ChainChecker, height: bigint, add: (p: LedgerProblem[]) => void, notes: string[]): Promise<void> {
    let peers: OtherPeer[];
    try {
        peers = await source.otherPeers();
    } catch (error) {
        add([{ message: `could not reach the other organisations' peers to compare chains: ${(error as Error).message}` }]);
        return;
    }
    if (peers.length === 0) notes.push('the connection file lists no other organisation, so no second copy of the chain was compared');
    for (const other of peers) {
        try {
            const info = await other.chainInfo();
            const common = (info.height < height ? info.height : height) - 1n;
            if (common < 0n) {
                add([{ message: `${other.label} has no blocks of this channel` }]);
                continue;
            }
            const ownHash = chain.headerHash(common);
            if (!ownHash) continue;
            add(compareOrgBlock(ownHash, decodeBlock(await other.block(common)), other.label));
            notes.push(`${other.label} agrees up to block ${common} (its height ${info.height}, ours ${height})`);
        } catch (error) {
            add([{ message: `could not compare with ${other.label}: ${(error as Error).message}` }]);
        }
    }
}

/** A contract query's record, or undefined for NOT_FOUND. */
async function lookup(source: VerifySource, fn: 'get' | 'getFromId', arg: string): Promise<ProvenanceRecord | undefined> {
    try {
        return JSON.parse(await source.evaluate(fn, [arg])) as ProvenanceRecord;
    } catch (error) {
        if (error instanceof TrackerError && error.code === 'NOT_FOUND') return undefined;
        throw error;
    }
}

async function forEachLimited<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length) await fn(items[next++] as T);
    };
    await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, items.length) }, worker));
}

function txIdOf(recordId: string): string {
    const dot = recordId.indexOf('.');
    return dot < 0 ? recordId : recordId.slice(0, dot);
}

function digest(text: string): string {
    return createHash('sha256').update(text).digest('hex');
}

function hex(bytes: Uint8Array): string {
    return Buffer.from(bytes).toString('hex');
}

function printable(key: string): string {
    return key.replace(/\u0000/g, '\\0');
}
