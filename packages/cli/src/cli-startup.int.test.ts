/**
 * What the CLI loads to start: `--help`, `--version` and reads must not load Hyperledger Fabric's
 * libraries (the contract stack is ~100 files and most of a cold start), and `--help` not the
 * hash workers' pool, LevelDB or the AWS SDK either. Measured in bench/cold-start.mjs; this test keeps the layout honest.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, runHyperprov } from './testing/cli-process.js';
import { fabricFiles, loadedModules } from './testing/loaded-modules.js';

let dir: string;
beforeAll(async () => {
    ensureCliBuilt();
    dir = await mkdtemp(path.join(tmpdir(), 'hp-startup-'));
    await writeFile(path.join(dir, 'a.bin'), 'bytes\n');
    expect((await runHyperprov(['init'], { cwd: dir })).code).toBe(0);
    expect((await runHyperprov(['record', 'a.bin', '--key', 'files/a'], { cwd: dir })).code).toBe(0);
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
            // Nor the SDK: commands import it when they run.
            expect(files.filter((f) => /\/tracker\/dist\//.test(f))).toEqual([]);
        });
    }

    // Reads run the contract's query functions, which load without fabric-contract-api.
    for (const args of [['get', 'files/a'], ['history', 'files/a'], ['range', '', '']]) {
        it(`hyperprov ${args.join(' ')} reads the embedded ledger without loading Fabric, the hash pool or the glob matcher`, () => {
            const { code, files } = loadedModules(args, dir);
            expect(code).toBe(0);
            expect(files.some((f) => f.includes('/chaincode/dist/queries.js'))).toBe(true);
            expect(fabricFiles(files)).toEqual([]);
            // What the tracker README promises of its light entry.
            expect(files.filter((f) => /\/node_modules\/(piscina|fast-glob)\//.test(f))).toEqual([]);
        });
    }

    it('sees Fabric when a command does load it (the probe can fail)', async () => {
        await writeFile(path.join(dir, 'b.bin'), 'more bytes\n');
        const { code, files } = loadedModules(['record', 'b.bin', '--key', 'files/b'], dir);
        expect(code).toBe(0);
        expect(fabricFiles(files).length).toBeGreaterThan(0);
    });
});
