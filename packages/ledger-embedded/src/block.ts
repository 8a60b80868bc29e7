/**
 * Blocks of the embedded ledger and their on-disk encoding.
 *
 * One block is one line of the block file:
 *   {"block":<body JSON>,"hash":"<sha256 hex of the body bytes>","signature":"<base64 DER ECDSA-SHA256 over the 32 hash bytes>"}\n
 * The hash covers the exact body bytes as written, so verification hashes the text it reads
 * instead of re-serialising parsed JSON; any flipped byte changes the hash or breaks the line.
 * The signature covers the hash (not the body again), so a block is hashed once, not twice.
 * Bodies are built with a fixed key order (sorted), so they are canonical JSON.
 */
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { SignatureVerifier, LocalSigner } from '@hyperprov/ledger';

/** previousHash of block 0. */
export const GENESIS_PREVIOUS_HASH = '0'.repeat(64);

/** One state write of a transaction: a value (UTF-8 text or base64 bytes) or a delete. */
export interface WriteEntry {
    key: string;
    /** Present when the value is valid UTF-8 (the contract writes canonical JSON). */
    value?: string;
    /** Present when the value is binary. */
    valueBase64?: string;
    /** True for deleteState (or a put of an empty value, as Fabric treats it). */
    delete?: true;
}

/** A chaincode event set by a transaction (the last setEvent call). */
export interface EventEntry {
    name: string;
    payload?: string;
    payloadBase64?: string;
}

/** A committed transaction. */
export interface TxEntry {
    /** Transaction id: sha256 hex of a nonce and the creator certificate, like Fabric. */
    id: string;
    fn: string;
    args: string[];
    creator: { mspId: string; id: string };
    /** Transaction timestamp, ISO 8601 UTC (what getDateTimestamp returns). */
    timestamp: string;
    /** State writes, sorted by key, one per key (last write in the tx wins). */
    writes: WriteEntry[];
    event?: EventEntry;
    /** The contract function's return value. */
    result: string;
}

/** Identity configuration recorded in block 0 (like a Fabric channel's genesis config). */
export interface GenesisConfig {
    mspId: string;
    certificatePem: string;
    caCertificatePem: string;
}

/** What a block's hash and signature cover. */
export interface BlockBody {
    number: number;
    previousHash: string;
    /** Wall-clock time the block was cut, ISO 8601 UTC. */
    timestamp: string;
    /** Present in block 0 only. */
    config?: GenesisConfig;
    txs: TxEntry[];
}

/** A block as read back from the file. */
export interface DecodedBlock {
    body: BlockBody;
    hash: string;
    signature: string;
    /** The exact body bytes, for signature checks. */
    bodyBytes: Buffer;
}

const LINE_PREFIX = '{"block":';
const HASH_MARK = ',"hash":"';
const SIGNATURE_MARK = '","signature":"';

/** Encodes a value written by the contract. */
export function encodeValue(value: Uint8Array): { value: string } | { valueBase64: string } {
    const buffer = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return isUtf8(buffer) ? { value: buffer.toString('utf8') } : { valueBase64: buffer.toString('base64') };
}

/** Decodes a write's value; undefined for deletes. */
export function decodeWriteValue(write: WriteEntry): Buffer | undefined {
    if (write.delete) return undefined;
    if (write.value !== undefined) return Buffer.from(write.value, 'utf8');
    return Buffer.from(write.valueBase64 ?? '', 'base64');
}

/** Decodes an event payload to text (payloads that are not UTF-8 come out as base64 text). */
export function eventPayloadText(event: EventEntry): string {
    return event.payload ?? event.payloadBase64 ?? '';
}

/** Serialises a body with sorted keys. Field order here is the canonical order. */
export function serializeBody(body: BlockBody): string {
    const parts: string[] = [];
    if (body.config) {
        parts.push(
            `"config":{"caCertificatePem":${JSON.stringify(body.config.caCertificatePem)},"certificatePem":${JSON.stringify(body.config.certificatePem)},"mspId":${JSON.stringify(body.config.mspId)}}`,
        );
    }
    parts.push(`"number":${body.number}`);
    parts.push(`"previousHash":${JSON.stringify(body.previousHash)}`);
    parts.push(`"timestamp":${JSON.stringify(body.timestamp)}`);
    parts.push(`"txs":[${body.txs.map(serializeTx).join(',')}]`);
    return `{${parts.join(',')}}`;
}

function serializeTx(tx: TxEntry): string {
    let event = '';
    if (tx.event) {
        const payload =
            tx.event.payload !== undefined
                ? `"payload":${JSON.stringify(tx.event.payload)}`
                : `"payloadBase64":${JSON.stringify(tx.event.payloadBase64 ?? '')}`;
        event = `"event":{"name":${JSON.stringify(tx.event.name)},${payload}},`;
    }
    const writes = tx.writes.map((w) => {
        if (w.delete) return `{"delete":true,"key":${JSON.stringify(w.key)}}`;
        if (w.value !== undefined) return `{"key":${JSON.stringify(w.key)},"value":${JSON.stringify(w.value)}}`;
        return `{"key":${JSON.stringify(w.key)},"valueBase64":${JSON.stringify(w.valueBase64 ?? '')}}`;
    });
    return (
        `{"args":${JSON.stringify(tx.args)},` +
        `"creator":{"id":${JSON.stringify(tx.creator.id)},"mspId":${JSON.stringify(tx.creator.mspId)}},` +
        event +
        `"fn":${JSON.stringify(tx.fn)},"id":${JSON.stringify(tx.id)},"result":${JSON.stringify(tx.result)},` +
        `"timestamp":${JSON.stringify(tx.timestamp)},"writes":[${writes.join(',')}]}`
    );
}

/** SHA-256 of `data`, lowercase hex. */
export function sha256Hex(data: Uint8Array): string {
    return createHash('sha256').update(data).digest('hex');
}

/** Encodes, hashes and signs a block; returns the file line (with its newline) and the hash. */
export function encodeBlock(body: BlockBody, signer: LocalSigner): { line: Buffer; hash: string } {
    const bodyBytes = Buffer.from(serializeBody(body), 'utf8');
    const hash = sha256Hex(bodyBytes);
    const signature = signer.sign(Buffer.from(hash, 'hex')).toString('base64');
    const line = Buffer.concat([
        Buffer.from(LINE_PREFIX),
        bodyBytes,
        Buffer.from(`${HASH_MARK}${hash}${SIGNATURE_MARK}${signature}"}\n`),
    ]);
    return { line, hash };
}

/**
 * Decodes one line (without its newline). Throws an Error saying what is wrong when the line is
 * not a well-formed block; does not check hash or signature (see {@link hashProblem}, {@link signatureValid}).
 */
export function decodeBlock(line: Buffer): DecodedBlock {
    const text = line.toString('utf8');
    if (!text.startsWith(LINE_PREFIX) || !text.endsWith('"}')) throw new Error('not a block record');
    const hashAt = text.lastIndexOf(HASH_MARK);
    const signatureAt = text.lastIndexOf(SIGNATURE_MARK);
    if (hashAt < 0 || signatureAt < hashAt) throw new Error('block record has no hash or signature');
    const hash = text.slice(hashAt + HASH_MARK.length, signatureAt);
    const signature = text.slice(signatureAt + SIGNATURE_MARK.length, text.length - 2);
    const bodyText = text.slice(LINE_PREFIX.length, hashAt);
    let body: BlockBody;
    try {
        body = JSON.parse(bodyText) as BlockBody;
    } catch (error) {
        throw new Error(`block body is not valid JSON (${(error as Error).message})`);
    }
    if (typeof body !== 'object' || body === null || !Number.isSafeInteger(body.number) || !Array.isArray(body.txs)) {
        throw new Error('block body lacks number or txs');
    }
    return { body, hash, signature, bodyBytes: Buffer.from(bodyText, 'utf8') };
}

/** Whether the block's signature over its stored hash verifies with `verifier`. */
export function signatureValid(block: DecodedBlock, verifier: SignatureVerifier): boolean {
    if (!/^[0-9a-f]{64}$/.test(block.hash)) return false;
    return verifier.verify(Buffer.from(block.hash, 'hex'), Buffer.from(block.signature, 'base64'));
}

/** Returns why a decoded block's stored hash does not match its bytes, or undefined if it does. */
export function hashProblem(block: DecodedBlock): string | undefined {
    const actual = sha256Hex(block.bodyBytes);
    return actual === block.hash ? undefined : `hash mismatch: stored ${block.hash.slice(0, 16)}…, bytes hash to ${actual.slice(0, 16)}…`;
}
