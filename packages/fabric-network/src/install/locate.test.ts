import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTrackerError } from '@hyperprov/errors';
import { CCAAS_BUILDER_PROGRAMS, FABRIC_CA_PROGRAMS, FABRIC_PROGRAMS, FABRIC_VERSION, VERSION_STAMP } from '../versions.js';
import { ensureFabricBinaries } from './ensure.js';
import { findFabric, findFabricCa } from './locate.js';

let root: string;

/** A fake release: stub programs that print a version, config/, builders/ccaas/bin/. */
async function fakeRelease(dir: string, version = '2.5.16', caVersion = '1.5.21'): Promise<string> {
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    for (const program of FABRIC_PROGRAMS) await stub(join(bin, program), `Version: ${version}`);
    for (const program of FABRIC_CA_PROGRAMS) await stub(join(bin, program), `Version: ${caVersion}`);
    await mkdir(join(dir, 'config'), { recursive: true });
    await writeFile(join(dir, 'config', 'core.yaml'), 'vm:\n    endpoint: unix:///var/run/docker.sock\n');
    await writeFile(join(dir, 'config', 'orderer.yaml'), 'General: {}\n');
    await mkdir(join(dir, 'builders', 'ccaas', 'bin'), { recursive: true });
    for (const program of CCAAS_BUILDER_PROGRAMS) await stub(join(dir, 'builders', 'ccaas', 'bin', program), '');
    return bin;
}

async function stub(file: string, output: string): Promise<void> {
    await writeFile(file, `#!/bin/sh\necho '${output}'\n`);
    await chmod(file, 0o755);
}

/** A fake cache entry as a finished build leaves it. */
async function fakeCache(cache: string): Promise<void> {
    await fakeRelease(join(cache, 'fabric', FABRIC_VERSION));
    await writeFile(join(cache, 'fabric', FABRIC_VERSION, VERSION_STAMP), JSON.stringify({ fabric: FABRIC_VERSION }));
    await fakeRelease(join(cache, 'fabric-ca', '1.5.21'));
    await writeFile(join(cache, 'fabric-ca', '1.5.21', VERSION_STAMP), JSON.stringify({ fabricCa: '1.5.21' }));
}

beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'hyperprov-locate-'));
});
afterAll(async () => {
    await rm(root, { recursive: true, force: true });
});

describe('install resolution order', () => {
    it('FABRIC_BIN first, then PATH, then the cache', async () => {
        const release = await fakeRelease(join(root, 'order', 'release'));
        const onPath = await fakeRelease(join(root, 'order', 'on-path'));
        const cache = join(root, 'order', 'cache');
        await fakeCache(cache);
        const path = `/usr/bin:/bin:${onPath}`;

        const fromBin = await findFabric({ FABRIC_BIN: release, PATH: path, HYPERPROV_CACHE: cache });
        expect(fromBin).toMatchObject({ source: 'FABRIC_BIN', binDir: release, version: '2.5.16', configDir: join(release, '..', 'config') });

        const fromPath = await findFabric({ PATH: path, HYPERPROV_CACHE: cache });
        expect(fromPath).toMatchObject({ source: 'PATH', binDir: onPath });

        const fromCache = await findFabric({ PATH: '/usr/bin:/bin', HYPERPROV_CACHE: cache });
        expect(fromCache).toMatchObject({ source: 'cache', binDir: join(cache, 'fabric', FABRIC_VERSION, 'bin'), ccaasBuilderDir: join(cache, 'fabric', FABRIC_VERSION, 'builders', 'ccaas') });

        expect((await findFabricCa({ FABRIC_BIN: release, PATH: path, HYPERPROV_CACHE: cache }))?.source).toBe('FABRIC_BIN');
        expect((await findFabricCa({ PATH: path, HYPERPROV_CACHE: cache }))?.source).toBe('PATH');
        expect((await findFabricCa({ PATH: '/usr/bin:/bin', HYPERPROV_CACHE: cache }))?.source).toBe('cache');
    });

    it('FABRIC_CFG_PATH overrides the release config folder', async () => {
        const release = await fakeRelease(join(root, 'cfg', 'release'));
        const found = await findFabric({ FABRIC_BIN: release, FABRIC_CFG_PATH: join(root, 'cfg', 'release', 'config'), PATH: '' });
        expect(found?.configDir).toBe(join(root, 'cfg', 'release', 'config'));
    });

    it('skips a Fabric of another major version on PATH, and refuses it in FABRIC_BIN', async () => {
        const old = await fakeRelease(join(root, 'old', 'release'), '2.2.9');
        expect(await findFabric({ PATH: old, HYPERPROV_CACHE: join(root, 'old', 'empty-cache') })).toBeUndefined();
        await expect(findFabric({ FABRIC_BIN: old })).rejects.toThrow(/peer version is 2\.2\.9/);
    });

    it('refuses an incomplete FABRIC_BIN, naming what is missing', async () => {
        const release = await fakeRelease(join(root, 'broken', 'release'));
        await rm(join(release, 'osnadmin'));
        await expect(findFabric({ FABRIC_BIN: release })).rejects.toThrow(/missing osnadmin/);
    });

    it('does not take a cache entry without its VERSION.json (a build that did not finish)', async () => {
        const cache = join(root, 'partial', 'cache');
        await fakeRelease(join(cache, 'fabric', FABRIC_VERSION));
        expect(await findFabric({ PATH: '', HYPERPROV_CACHE: cache })).toBeUndefined();
    });

    it('with nothing installed and nothing to build from, says what to do', async () => {
        const env = { PATH: process.env.PATH ?? '', HYPERPROV_CACHE: join(root, 'none', 'cache'), HYPERPROV_FABRIC_SRC: join(root, 'none', 'src') };
        // PATH keeps go/tar; it has no Fabric (the real cache is elsewhere).
        const error = await ensureFabricBinaries({ env, log: () => {} }).catch((e: unknown) => e);
        expect(isTrackerError(error, 'LEDGER_UNAVAILABLE')).toBe(true);
        const message = (error as Error).message;
        expect(message).toContain(join(root, 'none', 'src'));
        expect(message).toMatch(/install Go >= 1\.26/);
        expect(message).toMatch(/fabric-2\.5\.16-src\.tar\.xz/);
        expect(message).toMatch(/set FABRIC_BIN/);
    });
});
