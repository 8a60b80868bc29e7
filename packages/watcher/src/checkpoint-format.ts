/**
 * Format markers that tell a finished checkpoint from one still being written, where the format
 * has them: a zip (torch.save's `.pt`/`.pth`, `.keras`) ends with its End Of Central Directory
 * record, which the writer puts last; a `.safetensors` file starts with a header whose tensor
 * byte ranges must fit inside the file. Settle time alone cannot tell a writer that paused from
 * one that finished; these markers can, for the formats trainers use most.
 */
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CHECKPOINT_EXTENSIONS } from './naming.js';

/** Whether a checkpoint file is complete, and why not when it is not. */
export type Completeness = { complete: true } | { complete: false; reason: string };

const COMPLETE: Completeness = { complete: true };
const incomplete = (reason: string): Completeness => ({ complete: false, reason });

/** Zip local file header signature, the first bytes of every zip a writer has started. */
const ZIP_LOCAL = 0x04034b50;
const ZIP_EOCD = 0x06054b50;
const ZIP_CENTRAL = 0x02014b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
/** EOCD record without its comment; the comment is at most 65535 bytes. */
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** A safetensors header larger than this is not one (the format's own reference limit). */
const MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024;

/** Extensions that are always zips: a file of these without a zip start is still being written. */
const ALWAYS_ZIP = new Set(['.keras', '.zip', '.npz']);

/**
 * Checks the format markers of one file. Zips are recognised by their first bytes whatever the
 * extension (torch.save's `.pt`, `.pth`, `.bin`, `.ckpt` all are zips since PyTorch 1.6; a legacy
 * pickle `.pt` is not, and gets settle time only). Other formats: complete (settle time decides).
 */
export async function checkFileFormat(file: string): Promise<Completeness> {
    let handle: FileHandle;
    try {
        handle = await open(file, 'r');
    } catch (error) {
        return incomplete(`cannot open: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    try {
        const { size } = await handle.stat();
        const ext = path.extname(file).toLowerCase();
        if (ext === '.safetensors') return await checkSafetensors(handle, size);
        // An in-place writer has just truncated its checkpoint; a 2-byte `.json` beside it is just small.
        if (size < 4) return CHECKPOINT_EXTENSIONS.includes(ext) ? incomplete('too short to tell its format') : COMPLETE;
        const head = Buffer.alloc(4);
        await handle.read(head, 0, 4, 0);
        if (head.readUInt32LE(0) === ZIP_LOCAL) return await checkZip(handle, size);
        if (ALWAYS_ZIP.has(ext)) return incomplete('a zip format without a zip start yet');
        return COMPLETE;
    } finally {
        await handle.close();
    }
}

/**
 * A zip is complete when an End Of Central Directory record ends the file exactly (its comment
 * length reaching the last byte) and the central directory it points at lies before it and
 * starts with a central header. ZIP64 (files over 4 GB, or many entries) is followed through its
 * locator to the ZIP64 end record.
 */
export async function checkZip(handle: FileHandle, size: number): Promise<Completeness> {
    if (size < EOCD_SIZE) return incomplete('zip without an end record yet');
    const tailLength = Math.min(size, EOCD_SIZE + MAX_COMMENT);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
        if (tail.readUInt32LE(i) !== ZIP_EOCD) continue;
        const commentLength = tail.readUInt16LE(i + 20);
        // The signature can occur inside compressed data: only an end record that reaches the end counts.
        if (i + EOCD_SIZE + commentLength !== tailLength) continue;
        const eocdOffset = size - tailLength + i;
        const entries = tail.readUInt16LE(i + 10);
        let cdSize = tail.readUInt32LE(i + 12);
        let cdOffset = tail.readUInt32LE(i + 16);
        let cdEnd = eocdOffset;
        if (cdOffset === 0xffffffff || cdSize === 0xffffffff || entries === 0xffff) {
            if (eocdOffset < 20) return incomplete('zip64 end record missing');
            const locator = Buffer.alloc(20);
            await handle.read(locator, 0, 20, eocdOffset - 20);
            if (locator.readUInt32LE(0) !== ZIP64_LOCATOR) return incomplete('zip64 locator missing');
            const zip64Offset = Number(locator.readBigUInt64LE(8));
            if (zip64Offset + 56 > eocdOffset - 20) return incomplete('zip64 end record out of range');
            const record = Buffer.alloc(56);
            await handle.read(record, 0, 56, zip64Offset);
            if (record.readUInt32LE(0) !== ZIP64_EOCD) return incomplete('zip64 end record missing');
            cdSize = Number(record.readBigUInt64LE(40));
            cdOffset = Number(record.readBigUInt64LE(48));
            cdEnd = zip64Offset;
        }
        if (cdOffset + cdSize > cdEnd) return incomplete('zip central directory out of range');
        if (cdSize === 0) return entries === 0 ? COMPLETE : incomplete('zip central directory empty');
        const first = Buffer.alloc(4);
        await handle.read(first, 0, 4, cdOffset);
        if (first.readUInt32LE(0) !== ZIP_CENTRAL) return incomplete('zip central directory not where the end record says');
        return COMPLETE;
    }
    return incomplete('zip without an end record yet');
}

/**
 * A safetensors file is complete when its 8-byte header length and JSON header are all there and
 * every tensor's `data_offsets` fit in the bytes after the header.
 */
export async function checkSafetensors(handle: FileHandle, size: number): Promise<Completeness> {
    if (size < 8) return incomplete('safetensors header length not written yet');
    const lengthBytes = Buffer.alloc(8);
    await handle.read(lengthBytes, 0, 8, 0);
    const headerLength = Number(lengthBytes.readBigUInt64LE(0));
    if (headerLength > MAX_SAFETENSORS_HEADER) return incomplete('safetensors header length is not plausible (not written yet?)');
    if (8 + headerLength > size) return incomplete('safetensors header not written yet');
    const header = Buffer.alloc(headerLength);
    await handle.read(header, 0, headerLength, 8);
    let parsed: unknown;
    try {
        parsed = JSON.parse(header.toString('utf8'));
    } catch {
        return incomplete('safetensors header is not JSON yet');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return incomplete('safetensors header is not an object');
    const dataSize = size - 8 - headerLength;
    let end = 0;
    for (const [name, tensor] of Object.entries(parsed as Record<string, unknown>)) {
        if (name === '__metadata__') continue;
        const offsets = (tensor as { data_offsets?: unknown } | null)?.data_offsets;
        if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) {
            return incomplete(`safetensors tensor ${JSON.stringify(name)} has no valid data_offsets`);
        }
        end = Math.max(end, offsets[1] as number);
    }
    if (end > dataSize) return incomplete(`safetensors data short: ${dataSize} of ${end} bytes`);
    return COMPLETE;
}
