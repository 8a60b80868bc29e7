/**
 * Which tracker call records what: a checkpoint directory's snapshot goes to recordSnapshotDir
 * (the store may adopt the outbox's own files), a dataset directory of the user's to
 * recordDataset (never adopted: the object would share the user's inode), a checkpoint file's
 * snapshot to recordSnapshot. The target is a fake that notes the calls.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TrackerError } from '@hyperprov/errors';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import type { EpochTarget } from './epoch-entry.js';
import { Outbox } from './outbox.js';

let dir: string;
let outbox: Outbox | undefined;

beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hp-outbox-targets-'));
    await mkdir(path.join(dir, '.hyperprov'));
    await mkdir(path.join(dir, 'data', 'train'), { recursive: true });
    await writeFile(path.join(dir, 'data', 'train', 'a.jpg'), 'a');
});

afterEach(async () => {
    await outbox?.close();
    outbox = undefined;
    await rm(dir, { recursive: true, force: true });
});

function record(key: string, n: number, meta: ProvenanceRecord['meta'] = {}): ProvenanceRecord {
    return {
        schema: 1,
        id: `tx${n}`,
        key,
        checksum: `sha256:${'a'.repeat(64)}`,
        size: 1,
        location: 'file:///store',
        pointer: 'p',
        creator: { mspId: 'LocalMSP', id: 'me' },
        timestamp: new Date(0).toISOString(),
        type: 'record',
        meta,
        dependencies: [],
    } as ProvenanceRecord;
}

/** A target noting each call as [method, path relative to the project]. */
function fakeTarget(calls: [string, string][]): EpochTarget {
    let n = 0;
    const rel = (p: string) => path.relative(dir, p).split(path.sep).join('/');
    return {
        projectDir: dir,
        async recordSnapshot(file, options) {
            calls.push(['recordSnapshot', rel(file)]);
            return { record: record(options.key, n++, options.meta) } as never;
        },
        async recordDataset(d, options) {
            calls.push(['recordDataset', rel(d)]);
            return { status: 'changed', record: record(options.key, n++, options.meta) } as never;
        },
        async recordSnapshotDir(d, options) {
            calls.push(['recordSnapshotDir', rel(d)]);
            return { status: 'changed', record: record(options.key, n++, options.meta) } as never;
        },
        async resolve() {
            throw new TrackerError('NOT_FOUND', 'none');
        },
        async history() {
            throw new TrackerError('NOT_FOUND', 'none');
        },
    };
}

describe('the outbox hands each kind of item to its own tracker call', () => {
    it('a checkpoint directory: its snapshot to recordSnapshotDir, the dataset directory to recordDataset', async () => {
        const ckpt = path.join(dir, 'out', 'checkpoint-5');
        await mkdir(ckpt, { recursive: true });
        await writeFile(path.join(ckpt, 'model.safetensors'), 'weights');
        const calls: [string, string][] = [];
        outbox = new Outbox(path.join(dir, '.hyperprov'), fakeTarget(calls), { defaultRun: 'r' });
        const handle = await outbox.enqueue({ model: ckpt, key: 'models/m', datasets: { train: path.join(dir, 'data', 'train') } });
        await handle.committed;
        expect(calls.map(([method]) => method)).toEqual(['recordDataset', 'recordSnapshotDir']);
        expect(calls[0]?.[1]).toBe('data/train');
        // The outbox's own copy, not the trainer's directory.
        expect(calls[1]?.[1]).toMatch(/^\.hyperprov\/outbox\//);
    });

    it('a checkpoint file: its snapshot to recordSnapshot', async () => {
        await mkdir(path.join(dir, 'out'));
        await writeFile(path.join(dir, 'out', 'model.pt'), 'weights');
        const calls: [string, string][] = [];
        outbox = new Outbox(path.join(dir, '.hyperprov'), fakeTarget(calls), { defaultRun: 'r' });
        await (await outbox.enqueue({ model: path.join(dir, 'out', 'model.pt'), key: 'models/m' })).committed;
        expect(calls.map(([method]) => method)).toEqual(['recordSnapshot']);
        expect(calls[0]?.[1]).toMatch(/^\.hyperprov\/outbox\//);
    });
});
