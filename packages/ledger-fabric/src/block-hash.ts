/**
 * Fabric's block hashes, recomputed from the block's own fields (Fabric protoutil/blockutils.go):
 * - header hash = SHA-256 of the ASN.1 DER SEQUENCE { INTEGER number, OCTET STRING
 *   previous_hash, OCTET STRING data_hash }; the next block's previous_hash must equal it;
 * - data hash = SHA-256 of the block's data entries (the serialized envelopes) concatenated.
 * DER is written by hand: three primitives are all it takes, and no ASN.1 library is needed.
 */
import { createHash } from 'node:crypto';

function derLength(length: number): Buffer {
    if (length < 0x80) return Buffer.from([length]);
    const bytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function derTlv(tag: number, value: Uint8Array): Buffer {
    return Buffer.concat([Buffer.from([tag]), derLength(value.length), value]);
}

/** DER INTEGER of a non-negative number: minimal big-endian, a 0x00 prefix when the top bit is set. */
function derUnsigned(value: bigint): Buffer {
    if (value < 0n) throw new RangeError('block numbers are never negative');
    let hex = value.toString(16);
    if (hex.length % 2 === 1) hex = `0${hex}`;
    let bytes = Buffer.from(hex, 'hex');
    if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return derTlv(0x02, bytes);
}

/** The header hash of block `number` (what the next block's previous_hash holds). */
export function blockHeaderHash(number: bigint, previousHash: Uint8Array, dataHash: Uint8Array): Buffer {
    const body = Buffer.concat([derUnsigned(number), derTlv(0x04, previousHash), derTlv(0x04, dataHash)]);
    return createHash('sha256').update(derTlv(0x30, body)).digest();
}

/** The data hash of a block whose data entries are `entries`. */
export function blockDataHash(entries: readonly Uint8Array[]): Buffer {
    const hash = createHash('sha256');
    for (const entry of entries) hash.update(entry);
    return hash.digest();
}
