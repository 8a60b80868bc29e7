import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mkdirDurable } from './durable-fs.js';

describe('mkdirDurable', () => {
    it('creates nested directories and reports whether it created any', async () => {
        const base = await mkdtemp(join(tmpdir(), 'hyperprov-durable-'));
        try {
            const deep = join(base, 'a', 'b', 'c');
            expect(await mkdirDurable(deep)).toBe(true);
            expect((await stat(deep)).isDirectory()).toBe(true);
            expect(await mkdirDurable(deep)).toBe(false);
        } finally {
            await rm(base, { recursive: true, force: true });
        }
    });
});
