/** `record --store` sends one file to another store; `--sshfs-remote` is checked before anything moves. */
import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { ensureCliBuilt, runHyperprov } from './testing/cli-process.js';

let root: string;
let project: string;

beforeAll(async () => {
    ensureCliBuilt();
    root = await mkdtemp(path.join(tmpdir(), 'hp-cli-store-'));
    project = path.join(root, 'project');
    const init = await runHyperprov(['init', '--dir', project, '--json'], { cwd: root });
    expect(init.code).toBe(0);
}, 180_000);

afterAll(async () => {
    await rm(root, { recursive: true, force: true });
});

describe('record --store', () => {
    it('stores the bytes in the named store and records that location', async () => {
        const bytes = randomBytes(300_000);
        await writeFile(path.join(project, 'model.bin'), bytes);
        const run = await runHyperprov(['record', 'model.bin', '--key', 'models/elsewhere', '--store', '../other', '--json'], { cwd: project });
        expect(run.code, run.stderr).toBe(0);
        const record = run.json<ProvenanceRecord>();
        expect(record.location).toBe(pathToFileURL(path.join(root, 'other')).href);
        const stored = await readFile(path.join(root, 'other', record.pointer));
        expect(`sha256:${createHash('sha256').update(stored).digest('hex')}`).toBe(record.checksum);
        const verify = await runHyperprov(['verify', 'models/elsewhere', '--json'], { cwd: project });
        expect(verify.code, verify.stdout).toBe(0);
        const fetched = await runHyperprov(['fetch', 'models/elsewhere', 'back.bin', '--json'], { cwd: project });
        expect(fetched.code, fetched.stderr).toBe(0);
        expect(Buffer.compare(await readFile(path.join(project, 'back.bin')), bytes)).toBe(0);
    });

    it('refuses --sshfs-remote without an sshfs:// store, recording nothing', async () => {
        const before = (await runHyperprov(['status', '--json'], { cwd: project })).json<{ ledger: { height: string } }>().ledger.height;
        const run = await runHyperprov(['record', 'model.bin', '--key', 'models/nowhere', '--store', '../other', '--sshfs-remote', 'u@h:/p', '--json'], { cwd: project });
        expect(run.code).toBe(2);
        expect(run.json<{ error: { code: string; message: string } }>().error.message).toMatch(/only applies to sshfs/);
        const after = (await runHyperprov(['status', '--json'], { cwd: project })).json<{ ledger: { height: string } }>().ledger.height;
        expect(after).toBe(before);
    });
});
