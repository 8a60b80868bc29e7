/**
 * What the CLI loads to start: `--help` and `--version` must not load Hyperledger Fabric's
 * libraries (the contract stack is ~100 files and most of a cold start), nor the hash workers'
 * pool or the AWS SDK. Measured in bench/cold-start.mjs; this test keeps the layout honest.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt } from './testing/cli-process.js';
import { fabricFiles, loadedModules } from './testing/loaded-modules.js';

let dir: string;
beforeAll(async () => {
    ensureCliBuilt();
    dir = await mkdtemp(path.join(tmpdir(), 'hp-startup-'));
}, 180_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('CLI start-up', () => {
    for (const args of [['--help'], ['--version'], ['get', '--help']]) {
        it(`hyperprov ${args.join(' ')} loads no Fabric module, worker pool or AWS SDK`, () => {
            const { code, files } = loadedModules(args, dir);
            expect(code).toBe(0);
            // The probe works: the CLI's own entry is among what it saw.
            expect(files.some((f) => f.endsWith('/cli/dist/main.js'))).toBe(true);
            expect(fabricFiles(files)).toEqual([]);
            expect(files.filter((f) => /\/node_modules\/(piscina|@aws-sdk|fast-glob|classic-level)\//.test(f))).toEqual([]);
        });
    }

    it('sees Fabric when a command does load it (the probe can fail)', () => {
        const { files } = loadedModules(['init', '--dir', path.join(dir, 'project')], dir);
        expect(fabricFiles(files).length).toBeGreaterThan(0);
    });
});
