import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFileFormat } from './checkpoint-format.js';
import { checkDirectory, fingerprint } from './checkpoint-item.js';
import { buildSafetensors, buildZip, noise, torchLikeZip } from './testing/fixtures.js';

let dir: string;
beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hyperprov-format-'));
});
afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
});

const put = async (name: string, data: Buffer): Promise<string> => {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
    return file;
};

describe('zip checkpoints (torch.save, .keras)', () => {
    const zip = torchLikeZip(5000);

    it('the fixture is a valid zip by an independent reader', async () => {
        const file = await put('valid.pt', zip);
        let unzip = true;
        try {
            execFileSync('unzip', ['-v'], { stdio: 'ignore' });
        } catch {
            unzip = false;
        }
        // Without unzip on the machine the fixture is still checked by the assertions below.
        if (unzip) expect(execFileSync('unzip', ['-tq', file]).toString()).toMatch(/No errors detected/);
    });

    it('is complete only once the end record is the last thing in the file', async () => {
        expect(await checkFileFormat(await put('full.pt', zip))).toEqual({ complete: true });
        // Every prefix a writer can leave behind (cut anywhere, including inside the central directory and the end record).
        for (const cut of [4, 30, 1000, zip.length - 300, zip.length - 60, zip.length - 22, zip.length - 1]) {
            const verdict = await checkFileFormat(await put(`cut-${cut}.pt`, zip.subarray(0, cut)));
            expect(verdict.complete, `cut at ${cut}`).toBe(false);
        }
    });

    it('accepts an archive comment, refuses bytes after the end record', async () => {
        const commented = buildZip([{ name: 'a', data: noise(100) }], 'made by a test');
        expect((await checkFileFormat(await put('comment.pth', commented))).complete).toBe(true);
        expect((await checkFileFormat(await put('trailing.pth', Buffer.concat([zip, Buffer.from('xx')])))).complete).toBe(false);
    });

    it('refuses an end record pointing at no central directory', async () => {
        const broken = Buffer.from(zip);
        // Central directory offset → somewhere in the data.
        broken.writeUInt32LE(7, broken.length - 22 + 16);
        expect((await checkFileFormat(await put('broken.pt', broken))).complete).toBe(false);
    });

    it('a zip-only format without a zip start is not done; a legacy pickle .pt is judged by settle time', async () => {
        expect((await checkFileFormat(await put('model.keras', Buffer.alloc(100)))).complete).toBe(false);
        expect((await checkFileFormat(await put('legacy.pt', Buffer.from('\x80\x02}q\x00legacy pickle')))).complete).toBe(true);
        expect((await checkFileFormat(await put('empty.pt', Buffer.alloc(0)))).complete).toBe(false);
    });
});

describe('safetensors', () => {
    const file = buildSafetensors(1000);

    it('is complete when every tensor fits in the file', async () => {
        expect(await checkFileFormat(await put('m.safetensors', file))).toEqual({ complete: true });
    });

    it('is incomplete while the header or the data are short', async () => {
        for (const cut of [3, 8, 20, file.length - 4000, file.length - 1]) {
            expect((await checkFileFormat(await put(`m-${cut}.safetensors`, file.subarray(0, cut)))).complete, `cut at ${cut}`).toBe(false);
        }
        // Zeros where the header length goes: a truncated file before its header was written.
        expect((await checkFileFormat(await put('zeros.safetensors', Buffer.alloc(64)))).complete).toBe(false);
    });
});

describe('checkpoint directories', () => {
    it('checkpoint-N is complete once trainer_state.json is there', async () => {
        const ckpt = path.join(dir, 'hf', 'checkpoint-500');
        await put('hf/checkpoint-500/model.safetensors', buildSafetensors(100));
        await put('hf/checkpoint-500/optimizer.pt', torchLikeZip(300));
        await put('hf/checkpoint-500/config.json', Buffer.from('{}'));
        const before = await checkDirectory(ckpt, (await fingerprint(ckpt))!);
        expect(before).toEqual({ complete: false, reason: 'trainer_state.json not written yet' });
        await put('hf/checkpoint-500/trainer_state.json', Buffer.from('{"global_step": 500'));
        expect((await checkDirectory(ckpt, (await fingerprint(ckpt))!)).complete).toBe(false);
        await put('hf/checkpoint-500/trainer_state.json', Buffer.from('{"global_step": 500}'));
        expect(await checkDirectory(ckpt, (await fingerprint(ckpt))!)).toEqual({ complete: true });
        // A half-written optimizer state inside makes the folder incomplete again.
        await put('hf/checkpoint-500/optimizer.pt', torchLikeZip(300).subarray(0, 200));
        expect((await checkDirectory(ckpt, (await fingerprint(ckpt))!)).complete).toBe(false);
    });

    it('a sharded set needs every shard its index names, each complete', async () => {
        const set = path.join(dir, 'sharded');
        const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
        await put('sharded/model.safetensors.index.json', Buffer.from(JSON.stringify({ metadata: {}, weight_map: { a: shards[0], b: shards[1] } })));
        await put(`sharded/${shards[0]}`, buildSafetensors(100, 1));
        expect(await checkDirectory(set, (await fingerprint(set))!)).toMatchObject({ complete: false, reason: expect.stringMatching(/shard model-00002-of-00002.safetensors .* missing/) });
        await put(`sharded/${shards[1]}`, buildSafetensors(100, 2).subarray(0, 100));
        expect((await checkDirectory(set, (await fingerprint(set))!)).complete).toBe(false);
        await put(`sharded/${shards[1]}`, buildSafetensors(100, 2));
        expect(await checkDirectory(set, (await fingerprint(set))!)).toEqual({ complete: true });
        await put('sharded/.model-00003.safetensors.tmp', Buffer.alloc(10));
        const fp = (await fingerprint(set))!;
        expect(fp.temp).toBe('.model-00003.safetensors.tmp');
        expect((await checkDirectory(set, fp)).complete).toBe(false);
    });
});
