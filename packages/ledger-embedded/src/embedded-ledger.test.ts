/**
 * Embedded-ledger behaviour beyond the Ledger conformance suite: group commit, durability and
 * recovery (kill -9, torn tails, state behind the blocks), tamper detection by verify(), locking.
 * Everything runs against real files and a real LevelDB.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import { ClassicLevel } from 'classic-level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackerError } from '@hyperprov/errors';
import { createLocalIdentity, saveLocalIdentity, type LocalIdentity } from '@hyperprov/ledger';
import { LEDGER_FILES, openEmbeddedLedger, type EmbeddedLedger } from './embedded-ledger.js';
import { historyPrefix, txIndexKey } from './state-db.js';

function input(key: string, extra: Record<string, unknown> = {}): string {
    const bytes = randomBytes(8);
    const hex = createHash('sha256').update(bytes).digest('hex');
    return JSON.stringify({ key, checksum: `sha256:${hex}`, size: 8, location: 'file:///store', pointer: hex, ...extra });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
    try {
        await promise;
        return 'RESOLVED';
    } catch (error) {
        return error instanceof TrackerError ? error.code : `not a TrackerError: ${String(error)}`;
    }
}

async function blockLines(dir: string): Promise<Buffer[]> {
    const bytes = await readFile(join(dir, LEDGER_FILES.blocks));
    const lines: Buffer[] = [];
    let from = 0;
    for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, from)) {
        lines.push(bytes.subarray(from, nl));
        from = nl + 1;
    }
    return lines;
}

/**
 * The crash test needs the ledger in a separate process that can be killed, which runs the built
 * JavaScript: build the package first if dist is missing or older than any source. Under a file
 * lock, and the staleness check runs under it, so parallel test files never
 * rewrite dist/ under each other.
 */
async function ensureBuilt(): Promise<URL> {
    const packageDir = fileURLToPath(new URL('../', import.meta.url));
    const marker = 'dist/embedded-ledger.js';
    const tsc = join(packageDir, '../../node_modules/typescript/bin/tsc');
    const script =
        `if [ ! -f ${marker} ] || [ -n "$(find src -name '*.ts' ! -name '*.test.ts' -newer ${marker} | head -1)" ]; then ` +
        // tsc emits even when other parts of the package have type errors; only our output matters.
        `"${process.execPath}" "${tsc}" -p tsconfig.build.json || true; fi`;
    await promisify(execFile)('flock', ['/tmp/hyperprov-ledger-embedded-build.lock', 'sh', '-c', script], { cwd: packageDir });
    await stat(join(packageDir, 'dist/index.js'));
    return new URL('../dist/', import.meta.url);
}

describe('embedded ledger', { timeout: 30_000 }, () => {
    let identity: LocalIdentity;
    const dirs: string[] = [];
    const open: EmbeddedLedger[] = [];

    async function freshDir(): Promise<string> {
        const dir = await mkdtemp(join(tmpdir(), 'hyperprov-embedded-'));
        dirs.push(dir);
        return dir;
    }

    async function openAt(dir: string, extra: Partial<Parameters<typeof openEmbeddedLedger>[0]> = {}): Promise<EmbeddedLedger> {
        const ledger = await openEmbeddedLedger({ dir, identity, ...extra });
        open.push(ledger);
        return ledger;
    }

    async function setMany(ledger: EmbeddedLedger, prefix: string, count: number): Promise<string[]> {
        const ids: string[] = [];
        for (let i = 0; i < count; i++) ids.push((await ledger.submit('set', [input(`${prefix}/${i}`)])).transactionId);
        return ids;
    }

    beforeAll(async () => {
        identity = await createLocalIdentity({ name: 'embedded-test' });
    });

    afterAll(async () => {
        await Promise.all(open.map((l) => l.close()));
        await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    });

    it('starts with a genesis block carrying the identity certificate and verifies clean', async () => {
        const dir = await freshDir();
        const ledger = await openAt(dir);
        expect(await ledger.info()).toEqual({ backend: 'embedded', height: 1n });
        const [genesis] = await blockLines(dir);
        const parsed = JSON.parse((genesis as Buffer).toString()) as { block: { number: number; config: { certificatePem: string } } };
        expect(parsed.block.number).toBe(0);
        expect(parsed.block.config.certificatePem).toBe(identity.certificatePem);
        expect(await ledger.verify()).toEqual({ ok: true, height: 1n, problems: [] });
    });

    it('shares blocks between concurrent submits (group commit) and commits a lone submit at once', async () => {
        const ledger = await openAt(await freshDir());
        const lone = await ledger.submit('set', [input('group/lone')]);
        expect(lone.blockNumber).toBe(1n);
        const results = await Promise.all(Array.from({ length: 64 }, (_, i) => ledger.submit('set', [input(`group/${i}`)])));
        const blocks = new Set(results.map((r) => r.blockNumber));
        expect(blocks.size).toBeLessThan(64);
        expect((await ledger.info()).height).toBe(2n + BigInt(blocks.size));
        // Every record is in a block at or after the previous ones' (commit order = submit order).
        const numbers = results.map((r) => r.blockNumber);
        expect([...numbers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(numbers);
        expect((await ledger.verify()).ok).toBe(true);
    });

    it('verifies a consistent point while submits go on', async () => {
        const ledger = await openAt(await freshDir());
        await setMany(ledger, 'busy/before', 20);
        const writes = Promise.all(Array.from({ length: 40 }, (_, i) => ledger.submit('set', [input(`busy/during/${i}`)])));
        const verification = await ledger.verify();
        await writes;
        expect(verification.problems).toEqual([]);
        expect(verification.height).toBeGreaterThanOrEqual(21n);
        expect((await ledger.verify()).ok).toBe(true);
    });

    it('lets a transaction depend on one still waiting for its block (ordered reads)', async () => {
        const ledger = await openAt(await freshDir());
        const a = ledger.submit('set', [input('ordered/a')]);
        // Not awaited: b is simulated while a may still be in the commit pipeline.
        const aId = (await a).transactionId;
        const [b, c] = await Promise.all([
            ledger.submit('set', [input('ordered/b', { dependencies: [aId] })]),
            ledger.submit('set', [input('ordered/a')]),
        ]);
        expect(JSON.parse(b.result).dependencies).toEqual([aId]);
        const history = JSON.parse(await ledger.evaluate('getKeyHistory', ['ordered/a', '10', ''])) as { items: { id: string }[] };
        expect(history.items.map((r) => r.id)).toEqual([c.transactionId, aId]);
    });

    it('refuses writes in evaluate, unknown transactions and wrong argument counts', async () => {
        const ledger = await openAt(await freshDir());
        const error = await ledger.evaluate('set', [input('evaluate/x')]).catch((e: unknown) => e);
        expect((error as TrackerError).code).toBe('INVALID_ARGUMENT');
        expect((error as TrackerError).message).toMatch(/submit/);
        expect(await codeOf(ledger.submit('nope', []))).toBe('INVALID_ARGUMENT');
        expect(await codeOf(ledger.submit('set', []))).toBe('INVALID_ARGUMENT');
        expect(await codeOf(ledger.evaluate('get', ['a', 'b']))).toBe('INVALID_ARGUMENT');
        const aborted = new AbortController();
        aborted.abort();
        expect(await codeOf(ledger.submit('set', [input('evaluate/y')], { signal: aborted.signal }))).toBe('ABORTED');
        expect((await ledger.info()).height).toBe(1n);
    });

    it('keeps everything across close and reopen, and replays events from the blocks', async () => {
        const dir = await freshDir();
        const first = await openAt(dir);
        const ids = await setMany(first, 'reopen', 5);
        await first.close();
        // Left behind by a verify() that was killed: removed on open.
        await mkdir(join(dir, 'verify-12345-abcd'));
        const second = await openAt(dir);
        expect(await readdir(dir)).not.toContain('verify-12345-abcd');
        expect((await second.info()).height).toBe(6n);
        for (const id of ids) expect(JSON.parse(await second.evaluate('getFromId', [id])).id).toBe(id);
        const seen: string[] = [];
        for await (const event of second.events({ startBlock: 0n })) {
            seen.push(event.transactionId);
            if (seen.length === ids.length) break;
        }
        expect(seen).toEqual(ids);
        expect((await second.verify()).ok).toBe(true);
    });

    it('replays blocks after the savepoint when state lags behind the block file', async () => {
        const dir = await freshDir();
        const ledger = await openAt(dir);
        const early = await setMany(ledger, 'lag/early', 3);
        await ledger.close();
        // State as of block 3, as if the process died after later blocks were fsync'd but before
        // they were applied.
        await cp(join(dir, LEDGER_FILES.state), join(dir, 'state-at-3'), { recursive: true });
        const again = await openAt(dir);
        const late = await setMany(again, 'lag/late', 4);
        await again.close();
        await rm(join(dir, LEDGER_FILES.state), { recursive: true });
        await cp(join(dir, 'state-at-3'), join(dir, LEDGER_FILES.state), { recursive: true });
        await rm(join(dir, 'state-at-3'), { recursive: true });
        const recovered = await openAt(dir);
        expect((await recovered.info()).height).toBe(8n);
        for (const id of [...early, ...late]) expect(JSON.parse(await recovered.evaluate('getFromId', [id])).id).toBe(id);
        expect(await recovered.verify()).toEqual({ ok: true, height: 8n, problems: [] });
        await recovered.close();
        // State is derivable from the blocks alone.
        await rm(join(dir, LEDGER_FILES.state), { recursive: true });
        const rebuilt = await openAt(dir);
        expect(JSON.parse(await rebuilt.evaluate('get', ['lag/late/3'])).id).toBe(late[3]);
        expect((await rebuilt.verify()).ok).toBe(true);
    });

    it('cuts a torn last block at the next write, never on open (incomplete line, or a complete line of garbage)', async () => {
        const dir = await freshDir();
        const ledger = await openAt(dir);
        await setMany(ledger, 'torn', 2);
        await ledger.close();
        const blocksPath = join(dir, LEDGER_FILES.blocks);
        const intact = await readFile(blocksPath);
        const last = (await blockLines(dir))[2] as Buffer;
        // A block that was being appended when the process died: half a line.
        await appendFile(blocksPath, last.subarray(0, Math.floor(last.length / 2)));
        const torn = await readFile(blocksPath);
        const reopened = await openAt(dir);
        // Opening (and reading) leaves the file as it is, and says what is at its end.
        expect((await readFile(blocksPath)).equals(torn)).toBe(true);
        expect((await reopened.info()).attention).toMatchObject({ kind: 'interrupted-write', message: expect.stringMatching(/incomplete block at byte/) });
        const verification = await reopened.verify();
        expect(verification).toMatchObject({ ok: true, height: 3n, problems: [] });
        expect(verification.notes).toEqual([expect.stringMatching(/the next write cuts it off/)]);
        expect((await readFile(blocksPath)).equals(torn)).toBe(true);
        const next = await reopened.submit('set', [input('torn/after')]);
        expect(next.blockNumber).toBe(3n);
        expect((await readFile(blocksPath)).subarray(0, intact.length).equals(intact)).toBe(true);
        expect(await reopened.verify()).toEqual({ ok: true, height: 4n, problems: [] });
        expect((await reopened.info()).attention).toBeUndefined();
        await reopened.close();
        // Power loss can leave a complete line of junk after the last applied block.
        const before = await readFile(blocksPath);
        await appendFile(blocksPath, Buffer.concat([Buffer.alloc(100, 0), Buffer.from('\n')]));
        const again = await openAt(dir);
        expect((await again.verify()).ok).toBe(true);
        expect((await again.info()).height).toBe(4n);
        expect((await again.info()).attention?.kind).toBe('interrupted-write');
        await again.submit('set', [input('torn/later')]);
        expect((await readFile(blocksPath)).subarray(0, before.length).equals(before)).toBe(true);
        expect((await again.verify()).ok).toBe(true);
    });

    it('names the block when a byte of the block file is altered', async () => {
        const dir = await freshDir();
        const ledger = await openAt(dir);
        await setMany(ledger, 'tamper', 5);
        await ledger.close();
        const blocksPath = join(dir, LEDGER_FILES.blocks);
        const original = await readFile(blocksPath);
        const lines = await blockLines(dir);
        const start = lines.slice(0, 3).reduce((n, l) => n + l.length + 1, 0);
        // Flip one hex digit of a checksum inside block 3: still valid JSON, different content.
        const at = start + (lines[3] as Buffer).indexOf('sha256:') + 10;
        const tampered = Buffer.from(original);
        tampered[at] = tampered[at] === 0x61 ? 0x62 : 0x61;
        await writeFile(blocksPath, tampered);
        const reopened = await openAt(dir);
        const result = await reopened.verify();
        expect(result.ok).toBe(false);
        expect(result.problems[0]).toMatchObject({ block: 3 });
        expect(result.problems[0]?.message).toMatch(/block 3/);
        await reopened.close();
        // The last block too, and a byte that breaks the JSON: still named, and not cut off as torn.
        const lastStart = original.length - ((lines[5] as Buffer).length + 1);
        const broken = Buffer.from(original);
        broken[lastStart + 20] = 0x7b; // '{'
        await writeFile(blocksPath, broken);
        const again = await openAt(dir);
        const second = await again.verify();
        expect(second.ok).toBe(false);
        expect(second.problems[0]).toMatchObject({ block: 5 });
        expect((await readFile(blocksPath)).length).toBe(original.length);
    });

    it('refuses writes but still reads and verifies when a block to replay is damaged', async () => {
        const dir = await freshDir();
        const ledger = await openAt(dir);
        await setMany(ledger, 'damaged/early', 3);
        await ledger.close();
        await cp(join(dir, LEDGER_FILES.state), join(dir, 'state-at-3'), { recursive: true });
        const again = await openAt(dir);
        const late = await setMany(again, 'damaged/late', 3);
        await again.close();
        await rm(join(dir, LEDGER_FILES.state), { recursive: true });
        await cp(join(dir, 'state-at-3'), join(dir, LEDGER_FILES.state), { recursive: true });
        await rm(join(dir, 'state-at-3'), { recursive: true });
        // Block 5 must be replayed but is altered; block 6 follows, so this is not a torn write.
        const blocksPath = join(dir, LEDGER_FILES.blocks);
        const bytes = await readFile(blocksPath);
        const lines = await blockLines(dir);
        const at = lines.slice(0, 5).reduce((n, l) => n + l.length + 1, 0) + (lines[5] as Buffer).indexOf('sha256:') + 10;
        bytes[at] = bytes[at] === 0x61 ? 0x62 : 0x61;
        await writeFile(blocksPath, bytes);
        const damaged = await openAt(dir);
        const refused = await damaged.submit('set', [input('damaged/new')]).catch((e: unknown) => e);
        expect((refused as TrackerError).code).toBe('LEDGER_CORRUPT');
        expect((refused as TrackerError).message).toMatch(/block 5/);
        expect(JSON.parse(await damaged.evaluate('getFromId', [late[0] as string])).key).toBe('damaged/late/0');
        const verification = await damaged.verify();
        expect(verification.ok).toBe(false);
        expect(verification.problems[0]).toMatchObject({ block: 5 });
        expect((await readFile(blocksPath)).length).toBe(bytes.length);
    });

    it('ends a waiting event stream on close', async () => {
        const ledger = await openAt(await freshDir());
        const stream = ledger.events()[Symbol.asyncIterator]();
        const next = stream.next();
        await ledger.close();
        expect((await next).done).toBe(true);
        expect(() => ledger.events()[Symbol.asyncIterator]()).toThrow(/closed/);
    });

    it('catches a block rewritten with a correct hash but without the identity\'s key', async () => {
        const dir = await freshDir();
        const ledger = await openAt(dir);
        await setMany(ledger, 'forged', 2);
        await ledger.close();
        const blocksPath = join(dir, LEDGER_FILES.blocks);
        const lines = (await readFile(blocksPath, 'utf8')).split('\n').filter(Boolean);
        const last = lines[2] as string;
        const hashAt = last.lastIndexOf(',"hash":"');
        const body = last.slice('{"block":'.length, hashAt).replace('"timestamp":"2', '"timestamp":"3');
        expect(body).not.toBe(last.slice('{"block":'.length, hashAt));
        const hash = createHash('sha256').update(body).digest('hex');
        const signature = last.slice(last.lastIndexOf('"signature":"') + 13, -2);
        lines[2] = `{"block":${body},"hash":"${hash}","signature":"${signature}"}`;
        await writeFile(blocksPath, `${lines.join('\n')}\n`);
        const reopened = await openAt(dir);
        const result = await reopened.verify();
        expect(result.ok).toBe(false);
        expect(result.problems[0]).toMatchObject({ block: 2 });
        expect(result.problems[0]?.message).toMatch(/signature/);
    });

    it('does not apply or cut a complete block appended without the identity\'s key', async () => {
        const dir = await freshDir();
        const ledger = await openAt(dir);
        await setMany(ledger, 'appended', 2);
        await ledger.close();
        const blocksPath = join(dir, LEDGER_FILES.blocks);
        const text = await readFile(blocksPath, 'utf8');
        const last = JSON.parse(text.trimEnd().split('\n').pop() as string) as { block: { number: number }; hash: string };
        // A well-formed block 3 linked to block 2, with a key-value write, signed by someone else.
        const stranger = await createLocalIdentity({ name: 'forger' });
        const body = JSON.stringify({
            number: 3,
            previousHash: last.hash,
            timestamp: new Date().toISOString(),
            txs: [{ args: [], creator: { id: 'x', mspId: 'x' }, fn: 'set', id: 'f'.repeat(64), result: '', timestamp: new Date().toISOString(), writes: [{ key: 'appended/evil', value: '{}' }] }],
        });
        const hash = createHash('sha256').update(body).digest('hex');
        const { createLocalSigner } = await import('@hyperprov/ledger');
        const signature = createLocalSigner(stranger).sign(Buffer.from(hash, 'hex')).toString('base64');
        await appendFile(blocksPath, `{"block":${body},"hash":"${hash}","signature":"${signature}"}\n`);
        const size = (await readFile(blocksPath)).length;
        const reopened = await openAt(dir);
        expect((await readFile(blocksPath)).length).toBe(size);
        expect(await codeOf(reopened.evaluate('get', ['appended/evil']))).toBe('NOT_FOUND');
        expect(await codeOf(reopened.submit('set', [input('appended/new')]))).toBe('LEDGER_CORRUPT');
        const result = await reopened.verify();
        expect(result.problems[0]).toMatchObject({ block: 3 });
        expect(result.problems[0]?.message).toMatch(/signature/);
    });

    it('names the key when a state value is altered behind the ledger\'s back', async () => {
        const dir = await freshDir();
        const ledger = await openAt(dir);
        await setMany(ledger, 'state', 3);
        await ledger.close();
        const db = new ClassicLevel<Buffer, Buffer>(join(dir, LEDGER_FILES.state), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
        const key = Buffer.from('sstate/1');
        const value = (await db.get(key)) as Buffer;
        await db.put(key, Buffer.from(value.toString().replace('"size":8', '"size":9')));
        await db.close();
        const reopened = await openAt(dir);
        const result = await reopened.verify();
        expect(result.ok).toBe(false);
        expect(result.problems).toHaveLength(1);
        expect(result.problems[0]).toMatchObject({ key: 'state/1' });
        expect(result.problems[0]?.message).toMatch(/state of key "state\/1" differs/);
    });

    it('names history and index entries that do not match the blocks', async () => {
        const dir = await freshDir();
        const ledger = await openAt(dir);
        const ids = await setMany(ledger, 'index', 3);
        await ledger.close();
        const db = new ClassicLevel<Buffer, Buffer>(join(dir, LEDGER_FILES.state), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
        await db.del(txIndexKey(ids[0] as string));
        const forged = Buffer.alloc(historyPrefix('index/2').length + 12);
        historyPrefix('index/2').copy(forged);
        forged.writeBigUInt64BE(99n, forged.length - 12);
        await db.put(forged, Buffer.from('forged'));
        const prefix = historyPrefix('index/1');
        for await (const [key, value] of db.iterator({ gte: prefix, lt: Buffer.concat([prefix, Buffer.of(0xff)]) })) {
            await db.put(key, Buffer.concat([value, Buffer.from(' ')]));
        }
        await db.close();
        const reopened = await openAt(dir);
        const { ok, problems } = await reopened.verify();
        expect(ok).toBe(false);
        const messages = problems.map((p) => p.message);
        expect(messages).toContainEqual(expect.stringMatching(new RegExp(`transaction index entry of ${ids[0]} is in the blocks but missing`)));
        expect(problems).toContainEqual(expect.objectContaining({ key: 'index/1', message: expect.stringMatching(/history entry .* differs/) }));
        expect(problems).toContainEqual(
            expect.objectContaining({ key: 'index/2', block: 99, message: expect.stringMatching(/in the state database but in no block/) }),
        );
        expect(problems).toHaveLength(3);
    });

    it('a byte inserted before the last block: open leaves the file, reads and writes refuse, verify names the block', async () => {
        const dir = await freshDir();
        const ledger = await openAt(dir);
        const ids = await setMany(ledger, 'inserted', 5);
        await ledger.close();
        const blocksPath = join(dir, LEDGER_FILES.blocks);
        const original = await readFile(blocksPath);
        const lines = await blockLines(dir);
        const at = lines.slice(0, 2).reduce((n, l) => n + l.length + 1, 0) + (lines[2] as Buffer).indexOf('sha256:') + 12;
        const edited = Buffer.concat([original.subarray(0, at), Buffer.from('a'), original.subarray(at)]);
        await writeFile(blocksPath, edited);
        const reopened = await openAt(dir);
        expect((await readFile(blocksPath)).equals(edited)).toBe(true);
        expect((await reopened.info()).attention).toMatchObject({ kind: 'damaged', message: expect.stringMatching(/block 5, the last committed block, is no longer intact/) });
        const read = await reopened.evaluate('getFromId', [ids[0] as string]).catch((e: unknown) => e);
        expect((read as TrackerError).code).toBe('LEDGER_CORRUPT');
        const write = await reopened.submit('set', [input('inserted/new')]).catch((e: unknown) => e);
        expect((write as TrackerError).code).toBe('LEDGER_CORRUPT');
        expect((write as TrackerError).message).toMatch(/hyperprov verify --ledger/);
        const verification = await reopened.verify();
        expect(verification.problems[0]).toMatchObject({ block: 2 });
        expect((await readFile(blocksPath)).equals(edited)).toBe(true);
    });

    it('a block file cut inside committed blocks: open leaves it, reads refuse, verify says how to go on', async () => {
        const dir = await freshDir();
        const ledger = await openAt(dir);
        await setMany(ledger, 'short', 3);
        await ledger.close();
        const blocksPath = join(dir, LEDGER_FILES.blocks);
        const lines = await blockLines(dir);
        const original = await readFile(blocksPath);
        // Cut in the middle of block 2: blocks 2 and 3 are gone from the file but not from state.
        const cut = original.subarray(0, lines.slice(0, 2).reduce((n, l) => n + l.length + 1, 0) + 30);
        await writeFile(blocksPath, cut);
        const reopened = await openAt(dir);
        expect((await readFile(blocksPath)).equals(cut)).toBe(true);
        const attention = (await reopened.info()).attention;
        expect(attention?.kind).toBe('damaged');
        expect(attention?.message).toMatch(/truncated or replaced .* blocks 2-3 are cut short or missing/);
        expect(attention?.message).toContain(join(dir, LEDGER_FILES.state));
        expect(await codeOf(reopened.evaluate('get', ['short/0']))).toBe('LEDGER_CORRUPT');
        expect(await codeOf(reopened.submit('set', [input('short/new')]))).toBe('LEDGER_CORRUPT');
        const verification = await reopened.verify();
        expect(verification.ok).toBe(false);
        expect(verification.problems[0]).toMatchObject({ block: 2, message: expect.stringMatching(/cut short .* from a backup/) });
        await reopened.close();
        // The way out the message names: state is rebuilt from what is left, and writes go on.
        await rm(join(dir, LEDGER_FILES.state), { recursive: true });
        const rebuilt = await openAt(dir);
        expect((await rebuilt.info()).height).toBe(2n);
        expect(JSON.parse(await rebuilt.evaluate('get', ['short/0'])).key).toBe('short/0');
        expect((await rebuilt.submit('set', [input('short/after')])).blockNumber).toBe(2n);
        expect((await rebuilt.verify()).ok).toBe(true);
    });

    it('keeps a complete appended block with a bad hash as evidence, and says how to drop it', async () => {
        const dir = await freshDir();
        const ledger = await openAt(dir);
        await setMany(ledger, 'forged-tail', 2);
        await ledger.close();
        const blocksPath = join(dir, LEDGER_FILES.blocks);
        const last = (await blockLines(dir))[2] as Buffer;
        const size = (await readFile(blocksPath)).length;
        await appendFile(blocksPath, `${last.toString('utf8').replace('"number":2', '"number":3')}\n`);
        const appended = await readFile(blocksPath);
        const reopened = await openAt(dir);
        expect((await readFile(blocksPath)).equals(appended)).toBe(true);
        const attention = (await reopened.info()).attention;
        expect(attention?.kind).toBe('damaged');
        expect(attention?.message).toMatch(/block 3 .* does not match its hash/);
        expect(attention?.message).toContain(`truncate -s ${size} ${blocksPath}`);
        expect(JSON.parse(await reopened.evaluate('get', ['forged-tail/1'])).key).toBe('forged-tail/1');
        expect(await codeOf(reopened.submit('set', [input('forged-tail/new')]))).toBe('LEDGER_CORRUPT');
        expect((await reopened.verify()).problems[0]).toMatchObject({ block: 3 });
        expect((await readFile(blocksPath)).equals(appended)).toBe(true);
    });

    it('with create: false, a missing or empty ledger is refused and nothing is created', async () => {
        const parent = await freshDir();
        const missing = join(parent, 'ledger');
        const error = await openEmbeddedLedger({ dir: missing, identity, create: false }).catch((e: unknown) => e);
        expect((error as TrackerError).code).toBe('LEDGER_CORRUPT');
        expect((error as TrackerError).message).toMatch(/there is no ledger/);
        expect(await readdir(parent)).toEqual([]);
        await mkdir(missing);
        await writeFile(join(missing, LEDGER_FILES.blocks), '');
        expect(await codeOf(openEmbeddedLedger({ dir: missing, identity, create: false }))).toBe('LEDGER_CORRUPT');
        expect((await readFile(join(missing, LEDGER_FILES.blocks))).length).toBe(0);
        // The refused open let go of the ledger.
        await (await openAt(missing)).close();
        await (await openAt(missing, { create: false })).close();
    });

    it('refuses a second open of the same ledger and a ledger created by another identity', async () => {
        const dir = await freshDir();
        await openAt(dir);
        const started = Date.now();
        const error = await openEmbeddedLedger({ dir, identity, lockTimeoutMs: 200 }).catch((e: unknown) => e);
        expect((error as TrackerError).code).toBe('LEDGER_UNAVAILABLE');
        expect((error as TrackerError).message).toMatch(/already open in this process/);
        expect(Date.now() - started).toBeLessThan(5000);
        const other = await openAt(await freshDir());
        await other.close();
        const stranger = await createLocalIdentity({ name: 'stranger' });
        const refused = await openEmbeddedLedger({ dir: other.dir, identity: stranger }).catch((e: unknown) => e);
        expect((refused as TrackerError).code).toBe('INVALID_ARGUMENT');
        expect((refused as TrackerError).message).toMatch(/belongs to identity/);
        // The refused open released the lock.
        await openAt(other.dir);
    });

    it('submits and reads back with durability none', async () => {
        const ledger = await openAt(await freshDir(), { durability: 'none' });
        const ids = await setMany(ledger, 'nosync', 3);
        expect(JSON.parse(await ledger.evaluate('getFromId', [ids[2] as string])).key).toBe('nosync/2');
    });

    it('fails cleanly when the disk is full: nothing half-committed, everything acknowledged survives', async (ctx) => {
        // A real ENOSPC needs a small filesystem: a 512 KiB tmpfs (root only; skipped otherwise).
        const mountpoint = await freshDir();
        const run = promisify(execFile);
        try {
            await run('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountpoint]);
        } catch {
            ctx.skip();
            return;
        }
        try {
            const dir = join(mountpoint, 'ledger');
            const ledger = await openEmbeddedLedger({ dir, identity });
            const meta = { notes: 'x'.repeat(8000) };
            const acknowledged: string[] = [];
            let failure: unknown;
            for (let i = 0; i < 500 && failure === undefined; i++) {
                await ledger
                    .submit('set', [input(`full/${i}`, { meta })])
                    .then((r) => acknowledged.push(r.transactionId))
                    .catch((error: unknown) => {
                        failure = error;
                    });
            }
            expect((failure as TrackerError).code).toBe('LEDGER_UNAVAILABLE');
            expect((failure as TrackerError).message).toMatch(/reopen the ledger/);
            expect(acknowledged.length).toBeGreaterThan(0);
            const failedKey = `full/${acknowledged.length}`;
            // The ledger stops taking writes until it is reopened.
            expect(await codeOf(ledger.submit('set', [input('full/after')]))).toBe('LEDGER_UNAVAILABLE');
            await ledger.close();
            await run('mount', ['-o', 'remount,size=16m', mountpoint]);
            const reopened = await openEmbeddedLedger({ dir, identity });
            try {
                expect((await reopened.verify()).problems).toEqual([]);
                for (const id of acknowledged) expect(JSON.parse(await reopened.evaluate('getFromId', [id])).id).toBe(id);
                if ((failure as TrackerError).transactionId === undefined) {
                    expect(await codeOf(reopened.evaluate('get', [failedKey]))).toBe('NOT_FOUND');
                }
                expect((await reopened.submit('set', [input('full/later')])).transactionId).toMatch(/^[0-9a-f]{64}$/);
            } finally {
                await reopened.close();
            }
        } finally {
            await run('umount', ['-l', mountpoint]).catch(() => undefined);
        }
    });

    describe('several processes wanting the ledger', () => {
        let dist: URL;
        beforeAll(async () => {
            dist = await ensureBuilt();
        }, 180_000);

        it('take it in the order they asked for it, waiting instead of failing', async () => {
            const dir = await freshDir();
            const identityDir = await freshDir();
            await saveLocalIdentity(identityDir, identity);
            const script = join(identityDir, 'waiter.mjs');
            await writeFile(
                script,
                `import { openEmbeddedLedger } from ${JSON.stringify(new URL('index.js', dist).href)};
import { loadLocalIdentity } from ${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('@hyperprov/ledger')).href)};
const [dir, identityDir, name] = process.argv.slice(2);
const identity = await loadLocalIdentity(identityDir);
const ledger = await openEmbeddedLedger({ dir, identity });
process.stdout.write(name + '\\n');
await new Promise((resolve) => setTimeout(resolve, 30));
await ledger.close();
`,
            );
            const holder = await openAt(dir);
            const waiting = join(dir, 'waiting');
            const order: string[] = [];
            const exits: Promise<number | null>[] = [];
            for (let i = 0; i < 5; i++) {
                const child = spawn(process.execPath, [script, dir, identityDir, `w${i}`], { stdio: ['ignore', 'pipe', 'inherit'] });
                child.stdout.on('data', (chunk: Buffer) => order.push(...chunk.toString().trim().split('\n')));
                exits.push(new Promise((resolve) => child.on('exit', (code) => resolve(code))));
                // The next one starts only once this one is in line.
                const deadline = Date.now() + 20_000;
                while ((await readdir(waiting).catch(() => [])).length < i + 1) {
                    if (Date.now() > deadline) throw new Error(`waiter ${i} never queued for the ledger`);
                    await new Promise((resolve) => setTimeout(resolve, 10));
                }
            }
            // Held for longer than the old 2 s give-up time.
            await new Promise((resolve) => setTimeout(resolve, 2500));
            await holder.close();
            expect(await Promise.all(exits)).toEqual([0, 0, 0, 0, 0]);
            expect(order).toEqual(['w0', 'w1', 'w2', 'w3', 'w4']);
            expect(await readdir(waiting)).toEqual([]);
        }, 120_000);

        it('skip a waiter that was killed while in line', async () => {
            const dir = await freshDir();
            const holder = await openAt(dir);
            const waiting = join(dir, 'waiting');
            await mkdir(waiting, { recursive: true });
            // A ticket of a process that no longer exists, from this host, ahead of everyone.
            const dead = spawn(process.execPath, ['-e', '']);
            await new Promise((resolve) => dead.on('exit', resolve));
            const { createHash: hash } = await import('node:crypto');
            const { hostname } = await import('node:os');
            const tag = hash('sha256').update(hostname()).digest('hex').slice(0, 8);
            await writeFile(join(waiting, `${String(Date.now() - 1000).padStart(15, '0')}-${tag}-${dead.pid}-00000000`), '');
            const started = Date.now();
            const error = await openEmbeddedLedger({ dir, identity, lockTimeoutMs: 300 }).catch((e: unknown) => e);
            expect((error as TrackerError).code).toBe('LEDGER_UNAVAILABLE');
            expect((error as TrackerError).message).toMatch(/already open in this process/);
            expect(Date.now() - started).toBeLessThan(5000);
            await holder.close();
            // With the holder gone, the dead ticket does not stand in the way.
            await (await openAt(dir, { lockTimeoutMs: 5000 })).close();
            expect(await readdir(waiting)).toEqual([]);
        });
    });

    describe('kill -9 while writing', () => {
        let dist: URL;
        beforeAll(async () => {
            dist = await ensureBuilt();
        }, 180_000);

        it('keeps every record reported committed, verifies, and names the holder while running', async () => {
            const dir = await freshDir();
            const identityDir = await freshDir();
            await saveLocalIdentity(identityDir, identity);
            const script = join(identityDir, 'writer.mjs');
            await writeFile(
                script,
                `import { openEmbeddedLedger } from ${JSON.stringify(new URL('index.js', dist).href)};
import { loadLocalIdentity } from ${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('@hyperprov/ledger')).href)};
import { createHash } from 'node:crypto';
const [dir, identityDir] = process.argv.slice(2);
const ledger = await openEmbeddedLedger({ dir, identity: await loadLocalIdentity(identityDir) });
process.stdout.write('ready\\n');
let next = 0;
async function worker() {
    while (next < 1000) {
        const i = next++;
        const hex = createHash('sha256').update(String(i)).digest('hex');
        const input = { key: 'crash/' + i, checksum: 'sha256:' + hex, size: i, location: 'file:///store', pointer: hex };
        const r = await ledger.submit('set', [JSON.stringify(input)]);
        process.stdout.write(r.transactionId + ' crash/' + i + '\\n');
    }
}
await Promise.all(Array.from({ length: 8 }, worker));
await ledger.close();
process.stdout.write('done\\n');
`,
            );
            const child = spawn(process.execPath, [script, dir, identityDir], { stdio: ['ignore', 'pipe', 'inherit'] });
            const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
            const committed: { id: string; key: string }[] = [];
            let holderError: unknown;
            for await (const line of createInterface({ input: child.stdout })) {
                if (line === 'ready') {
                    holderError = await openEmbeddedLedger({ dir, identity, lockTimeoutMs: 100 }).catch((e: unknown) => e);
                    continue;
                }
                if (line === 'done') break;
                const [id, key] = line.split(' ');
                committed.push({ id: id as string, key: key as string });
                if (committed.length === 300) child.kill('SIGKILL');
            }
            expect(await exited).toBe('SIGKILL');
            expect((holderError as TrackerError).code).toBe('LEDGER_UNAVAILABLE');
            expect((holderError as TrackerError).message).toContain(`process ${child.pid}`);
            expect(committed.length).toBeGreaterThanOrEqual(300);
            expect(committed.length).toBeLessThan(1000);

            const ledger = await openAt(dir);
            const verification = await ledger.verify();
            expect(verification.problems).toEqual([]);
            expect(verification.ok).toBe(true);
            for (const { id, key } of committed) {
                const record = JSON.parse(await ledger.evaluate('getFromId', [id])) as { key: string };
                expect(record.key).toBe(key);
            }
            const all = JSON.parse(await ledger.evaluate('getByRange', ['crash/', 'crash0', '1000', ''])) as { items: unknown[] };
            expect(all.items.length).toBeGreaterThanOrEqual(committed.length);
            const more = await ledger.submit('set', [input('crash/after')]);
            expect(more.blockNumber).toBe(verification.height);
        }, 120_000);
    });
});
