import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTrackerError } from '@hyperprov/errors';
import { CONFIG_VERSION, defaultConfig, parseConfig, readConfig, writeConfig } from './config.js';
import { findProjectDir, pathWithin } from './project-dir.js';

let root: string;
beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hp-config-'));
});
afterEach(async () => {
    await rm(root, { recursive: true, force: true });
});

describe('findProjectDir', () => {
    it('walks up to the nearest directory holding .hyperprov/config.json', async () => {
        await mkdir(path.join(root, '.hyperprov'));
        await writeConfig(path.join(root, '.hyperprov'), defaultConfig('file:///tmp/store'));
        const deep = path.join(root, 'a', 'b', 'c');
        await mkdir(deep, { recursive: true });
        const found = await findProjectDir(deep);
        expect(found.projectDir).toBe(root);
        expect(found.hyperprovDir).toBe(path.join(root, '.hyperprov'));
    });

    it('stops at a .hyperprov folder without a config instead of walking on to a parent project', async () => {
        await mkdir(path.join(root, '.hyperprov'));
        await writeConfig(path.join(root, '.hyperprov'), defaultConfig('file:///tmp/store'));
        const child = path.join(root, 'child');
        await mkdir(path.join(child, '.hyperprov', 'ledger'), { recursive: true });
        for (const from of [child, path.join(child, 'deeper')]) {
            await mkdir(from, { recursive: true });
            const error = await findProjectDir(from).catch((e: unknown) => e);
            expect(isTrackerError(error, 'NOT_INITIALIZED')).toBe(true);
            const message = (error as Error).message;
            expect(message).toContain(`${path.join(child, '.hyperprov', 'config.json')} is missing`);
            expect(message).toMatch(/move .*\.hyperprov.* aside.*`hyperprov init` in /);
            expect(message).toContain(`in ${child} to start a new project`);
        }
    });

    it('refuses a .hyperprov that is not a directory', async () => {
        await writeFile(path.join(root, '.hyperprov'), 'not a folder');
        await expect(findProjectDir(root)).rejects.toSatisfy(
            (e) => isTrackerError(e, 'NOT_INITIALIZED') && /is not a directory/.test((e as Error).message),
        );
    });
});

describe('config file', () => {
    it('round-trips what init writes', async () => {
        const config = defaultConfig('file:///data/store');
        await writeConfig(root, config);
        expect(await readConfig(root)).toEqual(config);
    });

    it('says to run init when the file is missing', async () => {
        await expect(readConfig(root)).rejects.toSatisfy((e) => isTrackerError(e, 'NOT_INITIALIZED'));
    });

    it('rejects broken JSON naming the file', async () => {
        await writeFile(path.join(root, 'config.json'), '{ nope');
        await expect(readConfig(root)).rejects.toSatisfy(
            (e) => isTrackerError(e, 'INVALID_ARGUMENT') && (e as Error).message.includes('config.json'),
        );
    });

    it.each([
        ['a non-object', 42, /JSON object/],
        ['another version', { ...defaultConfig('file:///s'), version: 99 }, /version 99/],
        ['an unknown backend', { ...defaultConfig('file:///s'), ledger: { backend: 'sql', dir: 'x' } }, /ledger.backend/],
        ['a bad durability', { ...defaultConfig('file:///s'), ledger: { backend: 'embedded', dir: 'l', durability: 'maybe' } }, /durability/],
        ['a store that is not a URL', { ...defaultConfig('file:///s'), store: '/just/a/path' }, /store URL/],
        ['a missing identity', { ...defaultConfig('file:///s'), identity: undefined }, /identity/],
    ])('rejects %s', (_name, json, message) => {
        expect(() => parseConfig(json)).toThrow(message);
    });

    it('accepts a fabric backend with a connection file', () => {
        const config = parseConfig({ ...defaultConfig('s3://b/p'), ledger: { backend: 'fabric', connection: 'fabric.json' } });
        expect(config.ledger).toEqual({ backend: 'fabric', connection: 'fabric.json' });
        expect(config.version).toBe(CONFIG_VERSION);
    });
});

describe('pathWithin', () => {
    it('gives the relative path of the folder itself and of what is inside, by whole segments', () => {
        expect(pathWithin('/p', '/p')).toBe('');
        expect(pathWithin('/p', '/p/a/b')).toBe(path.join('a', 'b'));
        expect(pathWithin('/p', '/p/..data')).toBe('..data');
        expect(pathWithin('/p', '/q')).toBeUndefined();
        expect(pathWithin('/p/a', '/p')).toBeUndefined();
        expect(pathWithin('/p', '/p/../q')).toBeUndefined();
    });
});
