/**
 * prepareDatasetRecord / verifyDataset end to end against the real components: the embedded ledger
 * (LevelDB, signed blocks) through the ProvenanceClient, the local object store, the piscina hash
 * pool, the on-disk hash cache and ingestFile. Nothing is faked.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalStore, type ObjectStore } from '@hyperprov/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvenanceClient, type ProvenanceClient } from '../client/provenance-client.js';
import { isTrackerError } from '@hyperprov/errors';
import { createHashPool, openHashCache, type HashCache, type HashPool } from '../hashing/index.js';
import { createLocalIdentity } from '@hyperprov/ledger';
import { openEmbeddedLedger, type EmbeddedLedger } from '@hyperprov/ledger-embedded';
import { ingestOwnedFile } from '../pipeline/adopt.js';
import { ingestFile } from '../pipeline/ingest.js';
import { readDatasetObjects } from './dataset-objects.js';
import { serializeManifest } from './manifest.js';
import { readManifest } from './parse-manifest.js';
import { prepareDatasetRecord, type DatasetChanged, type PrepareDatasetOptions } from './prepare-dataset.js';
import { restoreDataset } from './restore-dataset.js';
import { verifyDataset } from './verify-dataset.js';

let base: string;
let pool: HashPool;
let cache: HashCache;
let store: ObjectStore;
let ledger: EmbeddedLedger;
let client: ProvenanceClient;

beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'hp-dataset-'));
    pool = createHashPool({ threads: 2 });
    cache = await openHashCache(path.join(base, 'cache'));
    store = createLocalStore({ root: path.join(base, 'store') });
    ledger = await openEmbeddedLedger({ dir: path.join(base, 'ledger'), identity: await createLocalIdentity({ name: 'manifests' }) });
    client = createProvenanceClient(ledger);
});
afterAll(async () => {
    await ledger?.close();
    await store?.close();
    await cache?.close();
    await pool?.close();
    if (base) await rm(base, { recursive: true, force: true });
});

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const old = (): Date => new Date(Date.now() - 3600_000);
let n = 0;
async function makeDataset(files: Array<[string, string]>): Promise<string> {
    const dir = path.join(base, `ds${n++}`);
    for (const [rel, content] of files) await write(dir, rel, content);
    return dir;
}
async function write(dir: string, rel: string, content: string): Promise<void> {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    // An mtime outside the cache's racy window, as for any dataset not written this very second.
    await utimes(file, old(), old());
}
async function objectCount(): Promise<number> {
    let count = 0;
    for await (const _ of store.list()) count++;
    return count;
}
const options = (key: string, extra: Partial<PrepareDatasetOptions> = {}): PrepareDatasetOptions => ({ key, store, records: client, pool, cache, ...extra });
async function commit(result: Awaited<ReturnType<typeof prepareDatasetRecord>>) {
    expect(result.status).toBe('changed');
    return (await client.set((result as DatasetChanged).input)).value;
}

const FILES: Array<[string, string]> = [
    ['train/cat/1.jpg', 'cat 1'],
    ['train/dog/1.jpg', 'dog 1'],
    ['test/cat/1.jpg', 'cat 1'], // same bytes as a train file: one object in the store
    ['labels.csv', 'id,label\n'],
    ['empty', ''],
];

describe('prepareDatasetRecord', () => {
    it('records a manifest once, then records nothing while the directory is unchanged', async () => {
        const dir = await makeDataset(FILES);
        const first = await prepareDatasetRecord(dir, options('datasets/pets', { meta: { source: 'unit test' } }));
        expect(first.status).toBe('changed');
        const input = (first as DatasetChanged).input;
        expect(input.meta).toEqual({ source: 'unit test', kind: 'hyperprov.dataset-manifest', count: 5, totalSize: 24, root: first.manifest.root });
        expect(input.location).toBe(store.location);
        const record = await commit(first);

        // The stored manifest is the canonical file whose checksum the ledger holds.
        expect(record.checksum).toBe(serializeManifest(first.manifest).checksum);
        expect(await readManifest(record, store)).toEqual(first.manifest);

        const reads = pool.stats.filesRead;
        const objects = await objectCount();
        const height = (await ledger.info()).height;
        const again = await prepareDatasetRecord(dir, options('datasets/pets'));
        expect(again.status).toBe('unchanged');
        expect(again.status === 'unchanged' && again.record.id).toBe(record.id);
        expect(pool.stats.filesRead - reads).toBe(0);
        expect(await objectCount()).toBe(objects);
        expect((await ledger.info()).height).toBe(height);
    });

    it('records a new version when a file is modified, added or deleted, with the changes listed', async () => {
        const dir = await makeDataset(FILES);
        const v1 = await commit(await prepareDatasetRecord(dir, options('datasets/pets-v')));
        await write(dir, 'train/dog/1.jpg', 'dog 1, relabelled');
        await write(dir, 'train/dog/2.jpg', 'dog 2');
        await unlink(path.join(dir, 'labels.csv'));

        const reads = pool.stats.filesRead;
        const v2 = await prepareDatasetRecord(dir, options('datasets/pets-v'));
        // Only the two new versions were read; the cache answered for the rest.
        expect(pool.stats.filesRead - reads).toBe(2);
        expect(v2.status).toBe('changed');
        const changed = v2 as DatasetChanged;
        expect(changed.previous?.id).toBe(v1.id);
        expect(changed.changes?.added.map((e) => e.path)).toEqual(['train/dog/2.jpg']);
        expect(changed.changes?.removed.map((e) => e.path)).toEqual(['labels.csv']);
        expect(changed.changes?.modified.map((m) => [m.path, m.change])).toEqual([['train/dog/1.jpg', 'size']]);
        const record = await commit(v2);
        const history = await client.history('datasets/pets-v');
        expect(history.items.map((r) => r.id)).toEqual([record.id, v1.id]);
    });

    it('with upload stores every file once, indexed, and re-running uploads nothing', async () => {
        const dir = await makeDataset(FILES);
        const first = (await prepareDatasetRecord(dir, options('datasets/pets-up', { upload: true, ingest: ingestFile }))) as DatasetChanged;
        expect(first.status).toBe('changed');
        // Five files, four distinct contents: the duplicate is skipped by the content-addressed store.
        expect(first.upload).toMatchObject({ transferred: 4, skipped: 1, bytes: 19 });
        const record = await commit(first);
        expect(record.meta.files).toEqual(first.upload?.files);

        const pointers = await readDatasetObjects(record, store);
        expect(pointers.size).toBe(4);
        for (const entry of first.manifest.entries) {
            const body = await store.get(pointers.get(entry.sha256)!);
            const chunks: Buffer[] = [];
            for await (const chunk of body) chunks.push(chunk as Buffer);
            expect(sha(Buffer.concat(chunks)), entry.path).toBe(entry.sha256);
        }

        const reads = pool.stats.filesRead;
        const objects = await objectCount();
        const again = await prepareDatasetRecord(dir, options('datasets/pets-up', { upload: true, ingest: ingestFile }));
        expect(again.status).toBe('unchanged');
        expect(pool.stats.filesRead - reads).toBe(0);
        expect(await objectCount()).toBe(objects);

        // One new file: only it is transferred.
        await write(dir, 'train/bird/1.jpg', 'bird');
        const next = (await prepareDatasetRecord(dir, options('datasets/pets-up', { upload: true, ingest: ingestFile }))) as DatasetChanged;
        expect(next.upload).toMatchObject({ transferred: 1, skipped: 5, bytes: 4 });
        await commit(next);
    });

    it('adopting (a snapshot directory the store links in): each file is read once, though the latest version\'s files are in this store', async () => {
        // Snapshot directories are written just before they are recorded: young files, which the
        // hash cache does not take, so a scan first would mean a second read of every file.
        const snapshot = async (files: Array<[string, string]>): Promise<string> => {
            const dir = path.join(base, `snap${n++}`);
            for (const [rel, content] of files) {
                await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
                await writeFile(path.join(dir, rel), content);
            }
            return dir;
        };
        const adopting = (key: string) => options(key, { upload: true, ingest: ingestOwnedFile, adopting: true });
        await commit(await prepareDatasetRecord(await snapshot(FILES), adopting('models/hf-ckpt')));
        const next = await snapshot([...FILES, ['model-00002.safetensors', 'new shard']]);
        let reads = pool.stats.filesRead;
        const changed = (await prepareDatasetRecord(next, adopting('models/hf-ckpt'))) as DatasetChanged;
        expect(changed.status).toBe('changed');
        expect(pool.stats.filesRead - reads).toBe(FILES.length + 1);
        expect(changed.upload).toMatchObject({ transferred: 1, bytes: 'new shard'.length });
        const record = await commit(changed);
        const pointers = await readDatasetObjects(record, store);
        for (const entry of changed.manifest.entries) expect(pointers.has(entry.sha256), entry.path).toBe(true);
        // The same content again: still one read each, and the latest record stands.
        reads = pool.stats.filesRead;
        const same = await prepareDatasetRecord(await snapshot([...FILES, ['model-00002.safetensors', 'new shard']]), adopting('models/hf-ckpt'));
        expect(same.status).toBe('unchanged');
        expect(pool.stats.filesRead - reads).toBe(FILES.length + 1);
    });

    it('records a new version for new meta or dependencies on the same bytes, and not for a re-run without them', async () => {
        const dir = await makeDataset([['a', 'same bytes']]);
        const raw = await client.set({ key: 'datasets/raw-source', checksum: `sha256:${sha('raw')}`, size: 3, location: store.location, pointer: 'raw' });
        const v1 = await commit(await prepareDatasetRecord(dir, options('datasets/described', { meta: { split: 'train' } })));
        expect((await prepareDatasetRecord(dir, options('datasets/described', { meta: { split: 'train' } }))).status).toBe('unchanged');
        expect((await prepareDatasetRecord(dir, options('datasets/described'))).status).toBe('unchanged');
        const withDep = await prepareDatasetRecord(dir, options('datasets/described', { meta: { split: 'train' }, dependencies: [raw.value.id] }));
        expect(withDep.status).toBe('changed');
        const v2 = await commit(withDep);
        expect(v2.dependencies).toEqual([raw.value.id]);
        expect(v2.meta.split).toBe('train');
        expect((await prepareDatasetRecord(dir, options('datasets/described', { dependencies: [raw.value.id] }))).status).toBe('unchanged');
        // What the CLI passes when no --dep / --type is given.
        expect((await prepareDatasetRecord(dir, options('datasets/described', { dependencies: [], type: 'record' }))).status).toBe('unchanged');
        expect((await prepareDatasetRecord(dir, options('datasets/described', { type: 'transformation', dependencies: [raw.value.id] }))).status).toBe('changed');
        const newMeta = await prepareDatasetRecord(dir, options('datasets/described', { meta: { split: 'validation' } }));
        expect(newMeta.status).toBe('changed');
        expect((newMeta as DatasetChanged).changes?.identical).toBe(true);
        expect(v1.id).not.toBe(v2.id);
    });

    it('uploads the files of an unchanged manifest that was recorded without them', async () => {
        const dir = await makeDataset([['a', 'only manifest so far']]);
        await commit(await prepareDatasetRecord(dir, options('datasets/late-upload')));
        const withFiles = await prepareDatasetRecord(dir, options('datasets/late-upload', { upload: true, ingest: ingestFile }));
        expect(withFiles.status).toBe('changed');
        expect((withFiles as DatasetChanged).upload?.transferred).toBe(1);
    });

    it('refuses bad input before reading a file or storing a byte', async () => {
        const dir = await makeDataset([['a', 'x']]);
        const reads = pool.stats.filesRead;
        const objects = await objectCount();
        const cases: Array<[string, Partial<PrepareDatasetOptions> & { key?: string }]> = [
            ['reserved meta key', { meta: { root: 'mine' } }],
            ['oversize meta', { meta: { blob: 'x'.repeat(70 * 1024) } }],
            ['bad key', { key: 'datasets/../etc' }],
            ['upload without ingest', { upload: true }],
        ];
        for (const [name, extra] of cases) {
            const error = await prepareDatasetRecord(dir, options(extra.key ?? 'datasets/bad', extra)).catch((e: unknown) => e);
            expect(isTrackerError(error, 'INVALID_ARGUMENT'), `${name}: ${String(error)}`).toBe(true);
        }
        expect(await prepareDatasetRecord(path.join(dir, 'a'), options('datasets/bad')).catch((e: unknown) => isTrackerError(e, 'INVALID_ARGUMENT'))).toBe(true);
        expect(pool.stats.filesRead - reads).toBe(0);
        expect(await objectCount()).toBe(objects);
    });

    it('refuses a key that holds something other than a dataset manifest', async () => {
        await client.set({ key: 'models/not-a-dataset', checksum: `sha256:${sha('m')}`, size: 1, location: store.location, pointer: 'x' });
        const dir = await makeDataset([['a', 'x']]);
        const error = await prepareDatasetRecord(dir, options('models/not-a-dataset')).catch((e: unknown) => e);
        expect(isTrackerError(error, 'INVALID_ARGUMENT')).toBe(true);
        expect((error as Error).message).toMatch(/not dataset manifests/);
    });
});

describe('verifyDataset', () => {
    it('passes for an identical copy and lists every difference otherwise', async () => {
        const dir = await makeDataset(FILES);
        const record = await commit(await prepareDatasetRecord(dir, options('datasets/verify')));
        const copy = await makeDataset(FILES);
        const ok = await verifyDataset(record, store, copy, { pool });
        expect(ok.ok).toBe(true);
        expect(ok.counts.unchanged).toBe(5);

        await write(copy, 'labels.csv', 'id,LABEL\n');
        await write(copy, 'extra.txt', 'not recorded');
        await unlink(path.join(copy, 'empty'));
        const bad = await verifyDataset(record, store, copy, { pool });
        expect(bad.ok).toBe(false);
        expect(bad.added.map((e) => e.path)).toEqual(['extra.txt']);
        expect(bad.removed.map((e) => e.path)).toEqual(['empty']);
        expect(bad.modified.map((m) => [m.path, m.change])).toEqual([['labels.csv', 'content']]);
    });

    it('re-reads every byte unless told to trust the cache', async () => {
        const dir = await makeDataset(FILES);
        const record = await commit(await prepareDatasetRecord(dir, options('datasets/verify-cache')));
        let reads = pool.stats.filesRead;
        await verifyDataset(record, store, dir, { pool, cache });
        expect(pool.stats.filesRead - reads).toBe(5);
        reads = pool.stats.filesRead;
        await verifyDataset(record, store, dir, { pool, cache, useCache: true });
        expect(pool.stats.filesRead - reads).toBe(0);
    });

    it('refuses a record that is not a manifest, and a stored manifest that is not the recorded one', async () => {
        const dir = await makeDataset([['a', 'x']]);
        const record = await commit(await prepareDatasetRecord(dir, options('datasets/verify-tamper')));
        const other = await client.get('models/not-a-dataset');
        expect(await verifyDataset(other, store, dir, { pool }).catch((e: unknown) => (e as { code?: string }).code)).toBe('INVALID_ARGUMENT');
        // A record whose checksum does not match the object it points to (as after tampering).
        const forged = { ...record, checksum: `sha256:${sha('forged')}` };
        expect(await verifyDataset(forged, store, dir, { pool }).catch((e: unknown) => (e as { code?: string }).code)).toBe('CHECKSUM_MISMATCH');
    });
});

describe('restoreDataset', () => {
    it('writes back exactly the recorded files, and verify passes on them', async () => {
        const dir = await makeDataset([...FILES, ['deep/er/still/x.txt', 'x']]);
        const record = await commit(await prepareDatasetRecord(dir, options('datasets/restore', { upload: true, ingest: ingestFile })));
        const out = path.join(base, 'restored');
        const restored = await restoreDataset(record, store, out);
        expect(restored).toEqual({ dir: out, files: 6, bytes: 25 });
        expect(await readFile(path.join(out, 'train/dog/1.jpg'), 'utf8')).toBe('dog 1');
        expect(await readFile(path.join(out, 'empty'), 'utf8')).toBe('');
        expect((await verifyDataset(record, store, out, { pool })).ok).toBe(true);
        // Nothing left beside it.
        expect((await readdir(base)).filter((name) => name.includes('hyperprov-restore'))).toEqual([]);

        expect(await restoreDataset(record, store, out).catch((e: unknown) => (e as { code?: string }).code)).toBe('ALREADY_EXISTS');
    });

    it('refuses a record without uploaded files', async () => {
        const dir = await makeDataset([['a', 'not uploaded']]);
        const record = await commit(await prepareDatasetRecord(dir, options('datasets/restore-none')));
        expect(await restoreDataset(record, store, path.join(base, 'restored-none')).catch((e: unknown) => (e as { code?: string }).code)).toBe('NOT_FOUND');
    });

    it('writes nothing when a stored file was altered', async () => {
        const dir = await makeDataset([['good', 'good bytes'], ['bad', 'original!!']]);
        const record = await commit(await prepareDatasetRecord(dir, options('datasets/restore-bad', { upload: true, ingest: ingestFile })));
        const pointers = await readDatasetObjects(record, store);
        const object = path.join(base, 'store', pointers.get(sha('original!!'))!);
        await chmod(object, 0o644);
        await writeFile(object, 'tampered!!'); // same size, other bytes
        const out = path.join(base, 'restored-bad');
        const error = await restoreDataset(record, store, out).catch((e: unknown) => e);
        expect(isTrackerError(error, 'CHECKSUM_MISMATCH'), String(error)).toBe(true);
        expect((error as Error).message).toContain('bad');
        expect(await readdir(out).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT');
        expect((await readdir(base)).filter((name) => name.includes('hyperprov-restore'))).toEqual([]);
    });
});
