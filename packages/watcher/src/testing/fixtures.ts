/**
 * Test fixtures: checkpoint formats built byte by byte (a stored zip as torch.save writes one, a
 * safetensors file), writers that write them the ways trainers do, and an in-memory EpochSink
 * that snapshots bytes at intake the way the outbox does. Test code only.
 */
import { createHash } from 'node:crypto';
import { open, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { TrackerError } from '@hyperprov/errors';
import type { EpochHandle, EpochInput, EpochResult, EpochSink, FlushResult } from '@hyperprov/tracker';

/** A zip of stored (uncompressed) entries, laid out as torch.save writes one: entries, central directory, end record. */
export function buildZip(entries: { name: string; data: Buffer }[], comment = ''): Buffer {
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = 0;
    for (const { name, data } of entries) {
        const nameBytes = Buffer.from(name);
        const crc = crc32(data);
        const local = Buffer.alloc(30);
        local.writeUInt32LE(0x04034b50, 0);
        local.writeUInt16LE(20, 4);
        local.writeUInt32LE(crc, 14);
        local.writeUInt32LE(data.length, 18);
        local.writeUInt32LE(data.length, 22);
        local.writeUInt16LE(nameBytes.length, 26);
        locals.push(local, nameBytes, data);
        const central = Buffer.alloc(46);
        central.writeUInt32LE(0x02014b50, 0);
        central.writeUInt16LE(20, 4);
        central.writeUInt16LE(20, 6);
        central.writeUInt32LE(crc, 16);
        central.writeUInt32LE(data.length, 20);
        central.writeUInt32LE(data.length, 24);
        central.writeUInt16LE(nameBytes.length, 28);
        central.writeUInt32LE(offset, 42);
        centrals.push(central, nameBytes);
        offset += 30 + nameBytes.length + data.length;
    }
    const cd = Buffer.concat(centrals);
    const commentBytes = Buffer.from(comment);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(entries.length, 8);
    eocd.writeUInt16LE(entries.length, 10);
    eocd.writeUInt32LE(cd.length, 12);
    eocd.writeUInt32LE(offset, 16);
    eocd.writeUInt16LE(commentBytes.length, 20);
    return Buffer.concat([...locals, cd, eocd, commentBytes]);
}

/** A torch.save-like checkpoint: `archive/data.pkl` and a tensor blob of `bytes` pseudo-random bytes. */
export function torchLikeZip(bytes: number, seed = 1): Buffer {
    return buildZip([
        { name: 'archive/data.pkl', data: Buffer.from(`pickle-${seed}`) },
        { name: 'archive/data/0', data: noise(bytes, seed) },
        { name: 'archive/version', data: Buffer.from('3\n') },
    ]);
}

/** A safetensors file with one F32 tensor of `floats` values. */
export function buildSafetensors(floats: number, seed = 1): Buffer {
    let header = JSON.stringify({ __metadata__: { format: 'pt' }, weight: { dtype: 'F32', shape: [floats], data_offsets: [0, floats * 4] } });
    // The format pads the header with spaces to a multiple of 8.
    header = header.padEnd(Math.ceil(header.length / 8) * 8, ' ');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    return Buffer.concat([length, Buffer.from(header), noise(floats * 4, seed)]);
}

/** Deterministic bytes: different seeds give different checkpoints. */
export function noise(bytes: number, seed = 1): Buffer {
    const out = Buffer.alloc(bytes);
    let x = seed * 2654435761 || 1;
    for (let i = 0; i < bytes; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        out[i] = x & 0xff;
    }
    return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `data` into `file` in place (truncate, then chunks), pausing `pauseMs` between chunks, as torch.save to an open file does. */
export async function writeInPlace(file: string, data: Buffer, chunks: number, pauseMs: number): Promise<void> {
    const handle = await open(file, 'w');
    try {
        const size = Math.ceil(data.length / chunks);
        for (let at = 0; at < data.length; at += size) {
            await handle.write(data, at, Math.min(size, data.length - at), at);
            // Reaching the disk's cache matters, not the disk: the watcher stats the file.
            await handle.datasync();
            if (at + size < data.length) await sleep(pauseMs);
        }
    } finally {
        await handle.close();
    }
}

/** Writes to `<file>.tmp` in chunks, then renames it into place (the atomic writer's way). */
export async function writeTmpRename(file: string, data: Buffer, chunks: number, pauseMs: number, tmp = `${file}.tmp`): Promise<void> {
    await writeInPlace(tmp, data, chunks, pauseMs);
    await rename(tmp, file);
}

export const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** What the fake sink recorded. */
export interface FakeRecord {
    id: string;
    key: string;
    epoch?: number;
    model: string;
    run: string;
    idempotencyKey?: string;
    /** sha256 of the bytes snapshotted at intake: a file's, or a directory's `path sha256` lines. */
    checksum: string;
    /** File → its bytes' sha256, for directories; the file's own for a file. */
    files: { [rel: string]: string };
    datasets: { [name: string]: string };
    previous?: string;
}

/** Options of {@link fakeSink}. */
export interface FakeSinkOptions {
    /** Offer `byChecksum` (content dedupe); default false. */
    byChecksum?: boolean;
    /** Offer `dataset`; default true. */
    dataset?: boolean;
    /** Delay between intake and snapshot, to let a test change the file in between (default 0). */
    snapshotDelayMs?: number;
}

/**
 * An EpochSink in memory that behaves like the outbox where the watcher can tell: the bytes are
 * read when the entry is taken (after `snapshotDelayMs`), `expect` refuses changed bytes with
 * FILE_CHANGED, a repeated idempotency key returns the first entry's result as a duplicate.
 */
export function fakeSink(options: FakeSinkOptions = {}): EpochSink & { records: FakeRecord[]; calls: EpochInput[]; datasetCalls: { dir: string; key: string }[]; failures: TrackerError[] } {
    const records: FakeRecord[] = [];
    const calls: EpochInput[] = [];
    const datasetCalls: { dir: string; key: string }[] = [];
    const failures: TrackerError[] = [];
    const byKey = new Map<string, Promise<EpochResult>>();
    const pending = new Set<Promise<unknown>>();
    const lanes = new Map<string, Promise<unknown>>();
    const datasetVersions = new Map<string, { id: string; digest: string }>();
    let n = 0;
    // Versions are kept per directory, as the outbox's default dataset key is one per directory.
    const manifest = async (dir: string): Promise<{ id: string; status: 'changed' | 'unchanged' }> => {
        const files = await snapshotDir(dir);
        const digest = sha256(Buffer.from(JSON.stringify(files)));
        const latest = datasetVersions.get(dir);
        if (latest?.digest === digest) return { id: latest.id, status: 'unchanged' };
        const id = `ds${++n}`;
        datasetVersions.set(dir, { id, digest });
        return { id, status: 'changed' };
    };
    const sink: EpochSink & { records: FakeRecord[]; calls: EpochInput[]; datasetCalls: { dir: string; key: string }[]; failures: TrackerError[] } = {
        records,
        calls,
        datasetCalls,
        failures,
        async epoch(input: EpochInput): Promise<EpochHandle> {
            calls.push(input);
            const run = input.run ?? 'run-fake';
            const key = input.key ?? 'models/x';
            const entry = input.idempotencyKey ?? `e${calls.length}`;
            const known = byKey.get(entry);
            if (known) {
                const committed = known.then((result) => ({ ...result, duplicate: true }));
                return { entry, run, key, snapshotted: committed.then(() => undefined), committed };
            }
            // As in the real outbox, the bytes are taken at once but commits keep their lane's order
            // (run + key): "the previous checkpoint" is the one handed over before, not the one read faster.
            const lane = `${run}\u0000${key}`;
            const before = lanes.get(lane) ?? Promise.resolve();
            const committed = (async (): Promise<EpochResult> => {
                if (options.snapshotDelayMs) await sleep(options.snapshotDelayMs);
                const st = await stat(input.model);
                const files = st.isDirectory() ? await snapshotDir(input.model) : { [path.basename(input.model)]: sha256(await readFile(input.model)) };
                const size = st.isDirectory() ? (await dirStats(input.model)).size : st.size;
                const mtimeMs = st.isDirectory() ? (await dirStats(input.model)).mtimeMs : st.mtimeMs;
                if (input.expect && (input.expect.size !== size || input.expect.mtimeMs !== mtimeMs)) {
                    const error = new TrackerError('FILE_CHANGED', `${input.model} changed after it was handed over`);
                    failures.push(error);
                    throw error;
                }
                await before;
                const datasets: { [name: string]: string } = {};
                for (const [name, dir] of Object.entries(input.datasets ?? {})) datasets[name] = (await manifest(dir)).id;
                const previous = [...records].reverse().find((r) => r.run === run && r.key === key)?.id;
                const record: FakeRecord = {
                    id: `r${++n}`,
                    key,
                    model: input.model,
                    run,
                    checksum: st.isDirectory() ? sha256(Buffer.from(JSON.stringify(files))) : (Object.values(files)[0] as string),
                    files,
                    datasets,
                    ...(input.epoch !== undefined && { epoch: input.epoch }),
                    ...(input.idempotencyKey !== undefined && { idempotencyKey: input.idempotencyKey }),
                    ...(previous !== undefined && { previous }),
                };
                records.push(record);
                return {
                    entry,
                    run,
                    record: { id: record.id, key, checksum: record.checksum } as unknown as EpochResult['record'],
                    datasets,
                    ...(previous !== undefined && { previous }),
                    duplicate: false,
                };
            })();
            byKey.set(entry, committed);
            const settled = committed.catch(() => undefined);
            lanes.set(lane, settled);
            pending.add(settled);
            void settled.then(() => pending.delete(settled));
            return { entry, run, key, snapshotted: committed.then(() => undefined), committed };
        },
        async flush({ timeoutMs = 30_000 } = {}): Promise<FlushResult> {
            await Promise.race([Promise.all([...pending]), sleep(timeoutMs)]);
            return { done: pending.size === 0, pending: [], failed: [] };
        },
    };
    if (options.dataset !== false) {
        sink.dataset = async (dir, key) => {
            datasetCalls.push({ dir, key });
            return manifest(dir);
        };
    }
    if (options.byChecksum) {
        sink.byChecksum = async (checksum) => records.filter((r) => r.checksum === checksum).map((r) => ({ id: r.id, key: r.key, checksum: r.checksum }) as unknown as EpochResult['record']);
    }
    return sink;
}

/** A directory's files → sha256, relative with `/`. */
export async function snapshotDir(dir: string, prefix = ''): Promise<{ [rel: string]: string }> {
    const out: { [rel: string]: string } = {};
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) Object.assign(out, await snapshotDir(path.join(dir, entry.name), rel));
        else out[rel] = sha256(await readFile(path.join(dir, entry.name)));
    }
    return out;
}

async function dirStats(dir: string): Promise<{ size: number; mtimeMs: number }> {
    let size = 0;
    let mtimeMs = 0;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
        const child = path.join(dir, entry.name);
        if (entry.isDirectory()) {
            const inner = await dirStats(child);
            size += inner.size;
            mtimeMs = Math.max(mtimeMs, inner.mtimeMs);
        } else {
            const st = await stat(child);
            size += st.size;
            mtimeMs = Math.max(mtimeMs, st.mtimeMs);
        }
    }
    return { size, mtimeMs };
}

/** Polls `condition` every 25 ms until it holds or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(25);
    }
}

export { writeFile };
