import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withFolderLock } from './folder-lock.js';

let root: string;
beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'hyperprov-lock-'));
});
afterAll(async () => {
    await rm(root, { recursive: true, force: true });
});

describe('withFolderLock', () => {
    it('runs one holder at a time', async () => {
        const lock = join(root, 'serial', '.lock');
        const events: string[] = [];
        const holder = (name: string) =>
            withFolderLock(lock, 'test', () => {}, async () => {
                events.push(`${name} in`);
                await sleep(100);
                events.push(`${name} out`);
            });
        await Promise.all([holder('a'), holder('b')]);
        expect(events).toHaveLength(4);
        expect(events[1]).toBe(`${events[0]?.split(' ')[0]} out`);
    });

    it('takes over a lock whose owner died', async () => {
        const lock = join(root, 'stale', '.lock');
        await mkdir(lock, { recursive: true });
        await writeFile(join(lock, 'pid'), '999999999\n');
        expect(await withFolderLock(lock, 'test', () => {}, async () => 'ran')).toBe('ran');
    });

    it('releases the lock when the work throws', async () => {
        const lock = join(root, 'throws', '.lock');
        await expect(withFolderLock(lock, 'test', () => {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
        expect(await withFolderLock(lock, 'test', () => {}, async () => 'again')).toBe('again');
    });
});
