/**
 * A project is a directory a user may rename, move or copy: its local store is recorded relative
 * to the project (`file:.hyperprov/objects`), in the config and in every record's `location`, so
 * fetch and verify keep working after a move and nothing is ever written at the old path. Old
 * projects (absolute `file:///…/.hyperprov/objects` in config and records) keep working too, in
 * place and moved. And `init --dir D --store rel` puts the store at D/rel.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { ensureCliBuilt, runHyperprov, type CliRun } from './testing/cli-process.js';

let root: string;

beforeEach(async () => {
    ensureCliBuilt();
    root = await mkdtemp(path.join(tmpdir(), 'hp-cli-move-'));
});

afterEach(async () => {
    await rm(root, { recursive: true, force: true });
});

async function ok(args: string[], cwd: string): Promise<CliRun> {
    const run = await runHyperprov([...args, '--json'], { cwd });
    expect(run.code, `hyperprov ${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(0);
    return run;
}

const sha256 = (bytes: string | Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('init --dir D --store <relative path>', { timeout: 60_000 }, () => {
    it('puts the store under D, not under the working directory', async () => {
        await ok(['init', '--dir', 'proj', '--store', 'my-objects'], root);
        await writeFile(path.join(root, 'proj', 'a.bin'), 'a bytes');
        const record = (await ok(['record', path.join(root, 'proj', 'a.bin'), '--key', 'a', '--dir', 'proj'], root)).json<ProvenanceRecord>();
        expect(existsSync(path.join(root, 'proj', 'my-objects', record.pointer))).toBe(true);
        expect(existsSync(path.join(root, 'my-objects'))).toBe(false);
    });
});

describe('moving a project', { timeout: 120_000 }, () => {
    it('keeps fetch and verify working and records into the moved store, never at the old path', async () => {
        const before = path.join(root, 'before');
        const after = path.join(root, 'after');
        await ok(['init', '--dir', before], root);
        const config = JSON.parse(await readFile(path.join(before, '.hyperprov', 'config.json'), 'utf8'));
        expect(config.store).toBe('file:.hyperprov/objects');
        await writeFile(path.join(before, 'model.pt'), 'model v1');
        const first = (await ok(['record', 'model.pt', '--key', 'models/m'], before)).json<ProvenanceRecord>();
        expect(first.location).toBe('file:.hyperprov/objects');

        await rename(before, after);
        await ok(['verify', '--all'], after);
        await ok(['fetch', 'models/m', 'back.pt'], after);
        expect(await readFile(path.join(after, 'back.pt'), 'utf8')).toBe('model v1');
        await writeFile(path.join(after, 'model.pt'), 'model v2');
        const second = (await ok(['record', 'model.pt', '--key', 'models/m'], after)).json<ProvenanceRecord>();
        expect(existsSync(path.join(after, '.hyperprov', 'objects', second.pointer))).toBe(true);
        expect(existsSync(before)).toBe(false);
        await ok(['verify', '--all'], after);
    });

    it('keeps an old project (absolute store URL in config and records) working in place and after a move', async () => {
        const before = path.join(root, 'old');
        const after = path.join(root, 'old-moved');
        await ok(['init', '--dir', before], root);
        // What init wrote before project-relative stores existed.
        const absolute = pathToFileURL(path.join(before, '.hyperprov', 'objects')).href;
        const configFile = path.join(before, '.hyperprov', 'config.json');
        const config = JSON.parse(await readFile(configFile, 'utf8'));
        await writeFile(configFile, JSON.stringify({ ...config, store: absolute }, null, 2));
        // An old record: its bytes in the store, its location absolute.
        await writeFile(path.join(before, 'data.bin'), 'old data');
        const stored = (await ok(['record', 'data.bin', '--key', 'data/new-style'], before)).json<ProvenanceRecord>();
        expect(stored.location).toBe('file:.hyperprov/objects');
        await ok(['put', '--key', 'data/old-style', '--checksum', sha256('old data'), '--size', '8', '--location', absolute, '--pointer', stored.pointer], before);
        await ok(['verify', '--all'], before);

        await rename(before, after);
        await ok(['verify', '--all'], after);
        await ok(['fetch', 'data/old-style', 'back.bin'], after);
        expect(await readFile(path.join(after, 'back.bin'), 'utf8')).toBe('old data');
        await writeFile(path.join(after, 'more.bin'), 'more data');
        const more = (await ok(['record', 'more.bin', '--key', 'data/more'], after)).json<ProvenanceRecord>();
        expect(more.location).toBe('file:.hyperprov/objects');
        expect(existsSync(path.join(after, '.hyperprov', 'objects', more.pointer))).toBe(true);
        expect(existsSync(before)).toBe(false);
    });

    it('keeps a store outside the project absolute', async () => {
        const project = path.join(root, 'p');
        await mkdir(path.join(root, 'shared'));
        await ok(['init', '--dir', project, '--store', path.join(root, 'shared')], root);
        const config = JSON.parse(await readFile(path.join(project, '.hyperprov', 'config.json'), 'utf8'));
        expect(config.store).toBe(pathToFileURL(path.join(root, 'shared')).href);
    });
});
