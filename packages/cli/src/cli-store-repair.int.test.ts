/**
 * A stored object damaged behind the tracker's back (a flipped byte, a truncation) is not trusted
 * on its name: recording the good bytes again replaces it, says so, and verify passes again for
 * every record of those bytes. Through the built binary, with the project's local store.
 */
import { copyFile, chmod, mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { EXIT_CODES } from '@hyperprov/errors';
import { ensureCliBuilt, runHyperprov, type CliRun } from './testing/cli-process.js';

let project: string;
let record: ProvenanceRecord;
const bytes = randomBytes(300_000);
const hp = (...args: string[]): Promise<CliRun> => runHyperprov(args, { cwd: project });

beforeEach(async () => {
    ensureCliBuilt();
    project = await mkdtemp(path.join(tmpdir(), 'hp-cli-repair-'));
    expect((await hp('init', '--json')).code).toBe(0);
    await writeFile(path.join(project, 'model.pt'), bytes);
    const run = await hp('record', 'model.pt', '--key', 'models/m', '--json');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    record = run.json();
}, 180_000);

afterEach(async () => {
    await rm(project, { recursive: true, force: true });
});

function objectPath(): string {
    return path.join(project, '.hyperprov', 'objects', record.pointer);
}

async function flipStoredByte(): Promise<void> {
    await chmod(objectPath(), 0o644);
    const handle = await open(objectPath(), 'r+');
    const one = Buffer.alloc(1);
    await handle.read(one, 0, 1, 1000);
    one[0] = one[0]! ^ 0xff;
    await handle.write(one, 0, 1, 1000);
    await handle.close();
}

describe('re-recording bytes whose stored copy was damaged', { timeout: 60_000 }, () => {
    it('replaces a copy with a flipped byte (same file again: its checksum comes from the hash cache)', async () => {
        await flipStoredByte();
        expect((await hp('verify', '--all')).code).toBe(EXIT_CODES.CHECKSUM_MISMATCH);
        const again = await hp('record', 'model.pt', '--key', 'models/m');
        expect(again.code, again.stderr).toBe(0);
        expect(again.stdout).toMatch(/replaced a damaged copy of these bytes in the store/);
        expect(again.stdout).not.toMatch(/already held/);
        const verify = await hp('verify', '--all');
        expect(verify.code, verify.stdout).toBe(0);
    });

    it('replaces a truncated copy', async () => {
        await chmod(objectPath(), 0o644);
        await truncate(objectPath(), 1000);
        const again = await hp('record', 'model.pt', '--key', 'models/m');
        expect(again.code, again.stdout + again.stderr).toBe(0);
        expect(again.stdout).toMatch(/replaced a damaged copy/);
        expect((await hp('verify', '--all')).code).toBe(0);
    });

    it('replaces a damaged copy when the same bytes come from another file (no cached checksum)', async () => {
        await flipStoredByte();
        await copyFile(path.join(project, 'model.pt'), path.join(project, 'copy.pt'));
        const again = await hp('record', 'copy.pt', '--key', 'models/copy');
        expect(again.code, again.stderr).toBe(0);
        expect(again.stdout).toMatch(/replaced a damaged copy/);
        const verify = await hp('verify', '--all');
        expect(verify.code, verify.stdout).toBe(0);
    });

    it('still skips the upload of an intact copy', async () => {
        const again = await hp('record', 'model.pt', '--key', 'models/m');
        expect(again.code, again.stderr).toBe(0);
        expect(again.stdout).toMatch(/recorded \(the store already held these bytes\)/);
    });
});
