/**
 * The CLI scenario of issue #2, run against the built `hyperprov` binary as a child process in a
 * temp project: real embedded ledger, real local store, real worker threads.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { EXIT_CODES } from '@hyperprov/errors';
import { CLI_MAIN, ensureCliBuilt } from './testing/cli-process.js';
import { projectCli } from './testing/project-cli.js';

let project: string;
const { hp, ok } = projectCli(() => project);

beforeAll(async () => {
    ensureCliBuilt();
    project = await mkdtemp(path.join(tmpdir(), 'hp-cli-scenario-'));
}, 180_000);

afterAll(async () => {
    await rm(project, { recursive: true, force: true });
});

describe('hyperprov CLI scenario', { timeout: 60_000 }, () => {
    let a: ProvenanceRecord;
    let b: ProvenanceRecord;
    const aBytes = randomBytes(256 * 1024 + 7);

    it('init creates .hyperprov with config, identity, ledger and store', async () => {
        const init = await ok('init');
        expect(init.config.ledger.backend).toBe('embedded');
        // Relative to the project, so it can be renamed or moved (cli-project-move.int.test.ts).
        expect(init.config.store).toBe('file:.hyperprov/objects');
        expect((await readdir(path.join(project, '.hyperprov'))).sort()).toEqual(expect.arrayContaining(['config.json', 'identity', 'ledger']));
        const again = await hp('init', '--json');
        expect(again.code).toBe(EXIT_CODES.ALREADY_EXISTS);
        expect(again.json().error.code).toBe('ALREADY_EXISTS');
    });

    it('records A, then B depending on A, and prints them with ids', async () => {
        await writeFile(path.join(project, 'a.bin'), aBytes);
        await writeFile(path.join(project, 'b.bin'), 'derived from a\n');
        a = await ok('record', 'a.bin', '--key', 'data/a', '--meta', '{"split":"train","rows":1000}');
        expect(a).toMatchObject({ key: 'data/a', size: aBytes.length, type: 'record', meta: { split: 'train', rows: 1000 }, dependencies: [] });
        expect(a.id).toMatch(/\S{8,}/);
        expect(a.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
        b = await ok('record', 'b.bin', '--key', 'data/b', '--dep', a.id, '--type', 'transformation');
        expect(b.dependencies).toEqual([a.id]);
        expect(await ok('show', a.id)).toEqual(a);
        expect(await ok('get', 'data/b')).toEqual(b);
        // Human output leads with the id.
        const human = await hp('get', 'data/a');
        expect(human.stdout.split('\n')[0]).toBe(`id            ${a.id}`);
    });

    it('lineage B lists A with all its fields; --down from A lists B', async () => {
        const up = await ok('lineage', b.id);
        expect(up.root).toBe(b.id);
        expect(up.direction).toBe('up');
        expect(up.records[a.id]).toEqual(a);
        expect(up.edges[b.id]).toEqual([a.id]);
        const down = await ok('lineage', a.id, '--down');
        expect(down.records[b.id]).toEqual(b);
        const tree = await hp('lineage', b.id);
        expect(tree.stdout).toContain(`└── data/a  ${a.id}`);
    });

    it('check finds the records of a local file by its bytes', async () => {
        const found = await ok('check', 'a.bin');
        expect(found).toMatchObject({ checksum: a.checksum, size: a.size, records: [a] });
        expect((await ok('check', 'a.bin', '--key', 'data/a')).key).toMatchObject({ match: true, id: a.id });
        const wrong = await hp('check', 'b.bin', '--key', 'data/a', '--json');
        expect(wrong.code).toBe(EXIT_CODES.CHECKSUM_MISMATCH);
        expect(wrong.json().key).toMatchObject({ match: false, recorded: a.checksum });
        await writeFile(path.join(project, 'new.bin'), 'never recorded');
        const none = await hp('check', 'new.bin', '--json');
        expect(none.code).toBe(EXIT_CODES.NOT_FOUND);
        expect(none.json().records).toEqual([]);
    });

    it('check of bytes never recorded exits 3 (NOT_FOUND) with --key too, as its help says', async () => {
        await writeFile(path.join(project, 'never.bin'), 'bytes no record holds');
        const withKey = await hp('check', 'never.bin', '--key', 'data/a', '--json');
        expect(withKey.code).toBe(EXIT_CODES.NOT_FOUND);
        expect(withKey.json()).toMatchObject({ records: [], key: { key: 'data/a', match: false } });
        // Help text is wrapped to the terminal: compare it as one line.
        const help = (await hp('check', '--help')).stdout.replace(/\s+/g, ' ');
        expect(help).toMatch(new RegExp(`exit ${EXIT_CODES.NOT_FOUND} if no record holds (these|the) bytes`));
        expect(help).toMatch(new RegExp(`exit ${EXIT_CODES.CHECKSUM_MISMATCH} if .*not .*latest`));
    });

    it('history shows both versions of a key, newest first', async () => {
        await writeFile(path.join(project, 'm.bin'), 'version 1');
        const v1 = await ok<ProvenanceRecord>('record', 'm.bin', '--key', 'models/m', '--meta', '{"epoch":1}');
        await writeFile(path.join(project, 'm.bin'), 'version 2, longer');
        const v2 = await ok<ProvenanceRecord>('record', 'm.bin', '--key', 'models/m', '--meta', '{"epoch":2}', '--dep', v1.id);
        const history = await ok('history', 'models/m');
        expect(history.items).toEqual([v2, v1]);
        expect(history.bookmark).toBe('');
        const firstPage = await ok('history', 'models/m', '--page-size', '1');
        expect(firstPage.items).toEqual([v2]);
        const secondPage = await ok('history', 'models/m', '--page-size', '1', '--bookmark', firstPage.bookmark);
        expect(secondPage.items).toEqual([v1]);
    });

    it('range pages correctly over more than one page', async () => {
        // Metadata-only records of bytes kept elsewhere, so there are five keys.
        for (const key of ['ext/1', 'ext/2']) {
            await ok('put', '--key', key, '--checksum', `sha256:${'e'.repeat(64)}`, '--location', 'https://example.com/models', '--pointer', key, '--size', '10');
        }
        const expected = ['data/a', 'data/b', 'ext/1', 'ext/2', 'models/m'];
        const pages: string[][] = [];
        let bookmark = '';
        do {
            const page = await ok('range', '', '', '--page-size', '2', ...(bookmark ? ['--bookmark', bookmark] : []));
            expect(page.items.length).toBeLessThanOrEqual(2);
            pages.push(page.items.map((r: ProvenanceRecord) => r.key));
            bookmark = page.bookmark;
        } while (bookmark && pages.length < 10);
        expect(pages).toEqual([['data/a', 'data/b'], ['ext/1', 'ext/2'], ['models/m']]);
        const all = await ok('range', '', '', '--page-size', '2', '--all');
        expect(all.items.map((r: ProvenanceRecord) => r.key)).toEqual(expected);
        const bounded = await ok('range', 'data/', 'data0');
        expect(bounded.items.map((r: ProvenanceRecord) => r.key)).toEqual(['data/a', 'data/b']);
    });

    it('concurrent commands each record exactly once', async () => {
        const runs = await Promise.all(
            [1, 2, 3, 4, 5, 6].map((i) =>
                hp('put', '--key', `conc/${i}`, '--checksum', `sha256:${String(i).repeat(64)}`, '--location', 'https://example.com/c', '--pointer', `c${i}`, '--size', '1', '--json'),
            ),
        );
        expect(runs.map((run) => run.code)).toEqual([0, 0, 0, 0, 0, 0]);
        const listed = await ok('range', 'conc/', 'conc0', '--all');
        expect(listed.items.map((r: ProvenanceRecord) => r.id).sort()).toEqual(runs.map((run) => run.json().id).sort());
        for (let i = 1; i <= 6; i++) expect((await ok('history', `conc/${i}`)).items).toHaveLength(1);
    });

    it('a reader that closes the pipe early ends the command at once', async () => {
        const child = spawn(process.execPath, [CLI_MAIN, 'range', '', '', '--all', '--json'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
        // Closed before the first byte, like `| head -0`: every write of the child fails with EPIPE.
        child.stdout.destroy();
        const code = await new Promise<number | null | 'hung'>((resolve) => {
            const timer = setTimeout(() => {
                child.kill('SIGKILL');
                resolve('hung');
            }, 15_000);
            child.on('exit', (exitCode) => {
                clearTimeout(timer);
                resolve(exitCode);
            });
        });
        expect(code).toBe(0);
    }, 20_000);

    it('verify --all --ledger passes and fetch writes the exact bytes', async () => {
        const report = await ok('verify', '--all', '--ledger');
        expect(report.ok).toBe(true);
        expect(report.objects.checked).toBe(4);
        // Metadata-only records of bytes on https:// are listed, not failed.
        expect(report.objects.problems.map((p: { key: string; status: string }) => [p.key, p.status])).toEqual(
            ['conc/1', 'conc/2', 'conc/3', 'conc/4', 'conc/5', 'conc/6', 'ext/1', 'ext/2'].map((key) => [key, 'unchecked']),
        );
        expect(report.ledger.ok).toBe(true);
        await mkdir(path.join(project, 'out'));
        const fetched = await ok('fetch', 'data/a', 'out/a.bin');
        expect(fetched.bytes).toBe(aBytes.length);
        // Buffer.equals: vitest's deep equality walks a Buffer byte by byte, which takes seconds per MiB.
        expect((await readFile(path.join(project, 'out', 'a.bin'))).equals(aBytes)).toBe(true);
    });

    it('a flipped byte in a stored object: verify names it and exits non-zero; fetch writes nothing', async () => {
        const object = path.join(project, '.hyperprov', 'objects', a.pointer);
        await chmod(object, 0o644);
        await flipByte(object, 1000);

        const report = await hp('verify', '--all', '--json');
        expect(report.code).toBe(EXIT_CODES.CHECKSUM_MISMATCH);
        const problems = report.json().objects.problems.filter((p: { status: string }) => p.status !== 'unchecked');
        expect(problems).toEqual([expect.objectContaining({ id: a.id, key: 'data/a', pointer: a.pointer, status: 'mismatch', expected: a.checksum })]);

        const human = await hp('verify', 'data/a');
        expect(human.code).toBe(EXIT_CODES.CHECKSUM_MISMATCH);
        expect(human.stdout).toContain(`MISMATCH: bytes of data/a (record ${a.id})`);
        expect(human.stdout).toContain(a.pointer);

        const fetch = await hp('fetch', a.id, 'out/a-again.bin', '--json');
        expect(fetch.code).toBe(EXIT_CODES.CHECKSUM_MISMATCH);
        expect(fetch.json().error.code).toBe('CHECKSUM_MISMATCH');
        expect(await readdir(path.join(project, 'out'))).toEqual(['a.bin']);

        // The other records are still fine.
        expect((await hp('verify', b.id)).code).toBe(0);
    });

    it('a flipped byte in the ledger block file: verify --ledger names the block and exits non-zero', async () => {
        const before = await ok('verify', '--ledger');
        expect(before.ledger.ok).toBe(true);
        const { file, offset, block } = await locateBlockByte(path.join(project, '.hyperprov', 'ledger'), 1);
        await flipLetter(file, offset);

        const run = await hp('verify', '--ledger', '--json');
        expect(run.code).toBe(EXIT_CODES.LEDGER_CORRUPT);
        const doc = run.json();
        const problems: { block?: number; message: string }[] = doc.ledger?.problems ?? [];
        expect(problems.some((p) => p.block === block), JSON.stringify(doc)).toBe(true);
        const human = await hp('verify', '--ledger');
        expect(human.code).toBe(EXIT_CODES.LEDGER_CORRUPT);
        expect(human.stdout + human.stderr).toContain(`block ${block}`);
    });
});

async function flipByte(file: string, offset: number): Promise<void> {
    const handle = await open(file, 'r+');
    try {
        const one = Buffer.alloc(1);
        await handle.read(one, 0, 1, offset);
        one[0] = one[0]! ^ 0x01;
        await handle.write(one, 0, 1, offset);
    } finally {
        await handle.close();
    }
}

/** Swaps one hex letter for another, so the block stays parseable and only its hash breaks. */
async function flipLetter(file: string, offset: number): Promise<void> {
    const handle = await open(file, 'r+');
    try {
        const one = Buffer.alloc(1);
        await handle.read(one, 0, 1, offset);
        one[0] = one[0] === 0x61 ? 0x62 : 0x61;
        await handle.write(one, 0, 1, offset);
    } finally {
        await handle.close();
    }
}

/**
 * Finds the block file (one JSON block per line) under the ledger dir and the offset of a hex
 * digit inside the write set of block `n` (not its own hash fields).
 */
async function locateBlockByte(ledgerDir: string, n: number): Promise<{ file: string; offset: number; block: number }> {
    for (const name of await readdir(ledgerDir, { recursive: true })) {
        const file = path.join(ledgerDir, String(name));
        let text: string;
        try {
            text = await readFile(file, 'utf8');
        } catch {
            continue;
        }
        const lines = text.split('\n');
        if (lines.length < n + 2 || !lines.slice(0, -1).every((line) => line.startsWith('{'))) continue;
        let offset = 0;
        for (let i = 0; i < n; i++) offset += Buffer.byteLength(lines[i]!) + 1;
        // The middle of the line lies inside the transaction payload, away from header hashes.
        const line = lines[n]!;
        const middle = line.indexOf('sha256:', Math.floor(line.length / 3));
        const at = middle >= 0 ? middle + 'sha256:'.length + 5 : Math.floor(line.length / 2);
        return { file, offset: offset + Buffer.byteLength(line.slice(0, at)), block: n };
    }
    throw new Error(`no block file found under ${ledgerDir}`);
}
