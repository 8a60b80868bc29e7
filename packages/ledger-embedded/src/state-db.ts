/**
 * State, history and indexes of the embedded ledger in one LevelDB (classic-level), all derived
 * from the blocks. Keys are byte strings with a one-byte namespace prefix, so ordering is UTF-8
 * byte order like Fabric's state database:
 *   s<key>                                   -> value              (world state)
 *   h<u32 key length><key><u64 block><u32 tx> -> history entry     (getHistoryForKey)
 *   t<txId>                                  -> <u64 block><u32 tx> (transaction index)
 *   b<u64 block>                             -> <u64 offset><u32 length><32 byte hash> (block index)
 *   m savepoint                              -> JSON {number, end, hash} (last applied block)
 * A block is applied in one atomic batch that also moves the savepoint, so state is always the
 * result of a whole number of blocks.
 */
import { ClassicLevel } from 'classic-level';
import { decodeWriteValue, type DecodedBlock } from './block.js';

/** Namespace bytes of LevelDB keys ('s', 'h', 't', 'b', 'm'). */
export const NS_STATE = 0x73;
export const NS_HISTORY = 0x68;
export const NS_TX = 0x74;
export const NS_BLOCK = 0x62;
export const NS_META = 0x6d;
const SAVEPOINT_KEY = Buffer.from('msavepoint');

/** Where the last applied block ends. */
export interface Savepoint {
    number: number;
    /** File offset just past the block's line. */
    end: number;
    hash: string;
}

/** A transaction's effect on state, independent of how the block was encoded. */
export interface AppliedTx {
    id: string;
    timestampMs: number;
    writes: { key: string; value: Buffer | undefined }[];
}

/** What a block contributes to the database. */
export interface AppliedBlock {
    number: number;
    offset: number;
    length: number;
    hash: string;
    txs: AppliedTx[];
}

/** One version of a key, as getHistoryForKey returns it. */
export interface HistoryEntry {
    txId: string;
    isDelete: boolean;
    timestampMs: number;
    value: Buffer;
}

/** One LevelDB batch operation. */
export type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/** The ledger's LevelDB, with Buffer keys and values. */
export type Db = ClassicLevel<Buffer, Buffer>;

/** A LevelDB at `location`. ClassicLevel starts opening itself (taking the lock) as soon as it is made. */
export function openDb(location: string): Db {
    return new ClassicLevel<Buffer, Buffer>(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
}

/** LevelDB key of state key `key`. */
export function stateKey(key: string): Buffer {
    const bytes = Buffer.from(key, 'utf8');
    const out = Buffer.allocUnsafe(bytes.length + 1);
    out[0] = NS_STATE;
    bytes.copy(out, 1);
    return out;
}

/** Prefix of every history entry of `key`. */
export function historyPrefix(key: string): Buffer {
    const bytes = Buffer.from(key, 'utf8');
    const out = Buffer.allocUnsafe(bytes.length + 5);
    out[0] = NS_HISTORY;
    out.writeUInt32BE(bytes.length, 1);
    bytes.copy(out, 5);
    return out;
}

function historyKey(prefix: Buffer, block: number, tx: number): Buffer {
    const out = Buffer.allocUnsafe(prefix.length + 12);
    prefix.copy(out, 0);
    out.writeBigUInt64BE(BigInt(block), prefix.length);
    out.writeUInt32BE(tx, prefix.length + 8);
    return out;
}

/** History entry value: flags, timestamp, tx id, then the value bytes. */
export function encodeHistory(entry: HistoryEntry): Buffer {
    const id = Buffer.from(entry.txId, 'utf8');
    const out = Buffer.allocUnsafe(1 + 8 + 2 + id.length + entry.value.length);
    out[0] = entry.isDelete ? 1 : 0;
    out.writeDoubleBE(entry.timestampMs, 1);
    out.writeUInt16BE(id.length, 9);
    id.copy(out, 11);
    entry.value.copy(out, 11 + id.length);
    return out;
}

/** Inverse of {@link encodeHistory}. */
export function decodeHistory(bytes: Buffer): HistoryEntry {
    const idLength = bytes.readUInt16BE(9);
    return {
        isDelete: bytes[0] === 1,
        timestampMs: bytes.readDoubleBE(1),
        txId: bytes.toString('utf8', 11, 11 + idLength),
        value: bytes.subarray(11 + idLength),
    };
}

/** LevelDB key of a transaction's index entry. */
export function txIndexKey(txId: string): Buffer {
    return Buffer.concat([Buffer.of(NS_TX), Buffer.from(txId, 'utf8')]);
}

/** LevelDB key of a block's index entry. */
export function blockIndexKey(number: number): Buffer {
    const out = Buffer.allocUnsafe(9);
    out[0] = NS_BLOCK;
    out.writeBigUInt64BE(BigInt(number), 1);
    return out;
}

/** Where a block is in the block file, and its hash. */
export function decodeBlockIndex(value: Buffer): { offset: number; length: number; hash: string } {
    return {
        offset: Number(value.readBigUInt64BE(0)),
        length: value.readUInt32BE(8),
        hash: value.toString('hex', 12, 44),
    };
}

/** The batch that applies one block: state, history, indexes and the savepoint. */
export function blockOps(block: AppliedBlock): BatchOp[] {
    const ops: BatchOp[] = [];
    block.txs.forEach((tx, txIndex) => {
        for (const write of tx.writes) {
            const sk = stateKey(write.key);
            ops.push(write.value === undefined ? { type: 'del', key: sk } : { type: 'put', key: sk, value: write.value });
            ops.push({
                type: 'put',
                key: historyKey(historyPrefix(write.key), block.number, txIndex),
                value: encodeHistory({
                    txId: tx.id,
                    isDelete: write.value === undefined,
                    timestampMs: tx.timestampMs,
                    value: write.value ?? Buffer.alloc(0),
                }),
            });
        }
        const position = Buffer.allocUnsafe(12);
        position.writeBigUInt64BE(BigInt(block.number), 0);
        position.writeUInt32BE(txIndex, 8);
        ops.push({ type: 'put', key: txIndexKey(tx.id), value: position });
    });
    const index = Buffer.allocUnsafe(44);
    index.writeBigUInt64BE(BigInt(block.offset), 0);
    index.writeUInt32BE(block.length, 8);
    Buffer.from(block.hash, 'hex').copy(index, 12);
    ops.push({ type: 'put', key: blockIndexKey(block.number), value: index });
    const savepoint: Savepoint = { number: block.number, end: block.offset + block.length, hash: block.hash };
    ops.push({ type: 'put', key: SAVEPOINT_KEY, value: Buffer.from(JSON.stringify(savepoint)) });
    return ops;
}

/** The last applied block, or undefined for an empty ledger. */
export async function readSavepoint(db: Db): Promise<Savepoint | undefined> {
    const value = await db.get(SAVEPOINT_KEY);
    return value === undefined ? undefined : (JSON.parse(value.toString('utf8')) as Savepoint);
}

/** Upper bound (exclusive) for all keys starting with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
    const end = Buffer.from(prefix);
    for (let i = end.length - 1; i >= 0; i--) {
        if (end[i]! < 0xff) {
            end[i] = (end[i] as number) + 1;
            return end.subarray(0, i + 1);
        }
    }
    return Buffer.of(0xff, 0xff, 0xff, 0xff);
}

/** The state effect of a block read back from the file. */
export function appliedFromDecoded(block: DecodedBlock, offset: number, length: number): AppliedBlock {
    return {
        number: block.body.number,
        offset,
        length,
        hash: block.hash,
        txs: block.body.txs.map((tx) => ({
            id: tx.id,
            timestampMs: Date.parse(tx.timestamp),
            writes: tx.writes.map((write) => ({ key: write.key, value: decodeWriteValue(write) })),
        })),
    };
}

