/**
 * One outbox entry: the request as accepted, checked and with its paths made absolute, and how
 * it is turned into a record (datasets manifested, previous checkpoint of the run found, the
 * snapshot recorded with its metadata).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { assertValidKey, runProblem, type JsonValue, type Page, type ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { TrackerError } from '@hyperprov/errors';
import type { RecordDatasetOptions, RecordDatasetResult } from '../tracker.js';
import type { RecordFileOptions, RecordResult } from '../pipeline/record.js';
import type { PageOptions } from '../client/provenance-client.js';
import type { EpochInput } from './epoch-types.js';
import type { GitRevision } from './git-revision.js';
import { sameIdentity, sourceIdentity, type SourceIdentity } from './snapshot.js';

/** A dataset of an entry: a directory to manifest, or a record id or key to depend on. */
export type DatasetRef = { dir: string } | { ref: string };

/** `entry.json`. */
export interface EntryFile {
    version: 1;
    entry: string;
    idempotencyKey: string;
    createdAt: string;
    /** Process that accepted it (and is taking its snapshot). */
    pid: number;
    key: string;
    run: string;
    model: string;
    source: SourceIdentity;
    epoch?: number;
    metrics?: { [name: string]: JsonValue };
    params?: { [name: string]: JsonValue };
    meta?: { [key: string]: JsonValue };
    datasets: { [name: string]: DatasetRef };
    /** Where git is asked for the code revision. */
    cwd: string;
}

/** `snapshot.json`. */
export interface SnapshotFile {
    snapshotAt: string;
    git?: GitRevision;
}

/** `done/<entry>.json`. */
export interface DoneFile {
    entry: string;
    run: string;
    key: string;
    record: ProvenanceRecord;
    datasets: { [name: string]: string };
    previous?: string;
    duplicate: boolean;
    committedAt: string;
}

/** What recording an entry needs from the tracker. */
export interface EpochTarget {
    readonly projectDir: string;
    /** Records a file inside the outbox (the project-file guard does not apply to snapshots). */
    recordSnapshot(file: string, options: RecordFileOptions): Promise<RecordResult>;
    recordDataset(dir: string, options: RecordDatasetOptions): Promise<RecordDatasetResult>;
    /** recordDataset of a snapshot directory the outbox owns and deletes after (its files may be adopted by the store). */
    recordSnapshotDir(dir: string, options: RecordDatasetOptions): Promise<RecordDatasetResult>;
    resolve(keyOrId: string): Promise<ProvenanceRecord>;
    history(key: string, options?: PageOptions): Promise<Page<ProvenanceRecord>>;
}

/** The entry id of an idempotency key: equal keys meet in the same entry, across processes and restarts. */
export function entryId(idempotencyKey: string): string {
    return `e${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex').slice(0, 24)}`;
}

/** A run id for a tracker that was given none: sortable by start time, unique enough per machine. */
export function makeRunId(now = new Date()): string {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    return `run-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** Checks an EpochInput and builds its entry file (stats the checkpoint and the dataset paths). */
export async function acceptEpoch(input: EpochInput, projectDir: string, defaultRun: string): Promise<EntryFile> {
    if (typeof input !== 'object' || input === null) throw invalid('give an object with at least { model }');
    if (typeof input.model !== 'string' || input.model === '') throw invalid('model must be the path of the checkpoint file or directory');
    const cwd = input.cwd !== undefined ? path.resolve(input.cwd) : process.cwd();
    const model = path.resolve(cwd, input.model);
    if (input.epoch !== undefined && !(Number.isSafeInteger(input.epoch) && input.epoch >= 0)) throw invalid(`epoch must be a whole number ≥ 0, got ${JSON.stringify(input.epoch)}`);
    for (const field of ['metrics', 'params', 'meta', 'datasets'] as const) {
        const value = input[field];
        if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) throw invalid(`${field} must be a JSON object`);
    }
    const run = input.run ?? defaultRun;
    const problem = runProblem(run);
    if (problem !== undefined) throw invalid(problem.replace('meta.run', 'run'));
    const key = input.key ?? defaultModelKey(model, projectDir);
    try {
        assertValidKey(key);
    } catch (error) {
        throw invalid(`key: ${(error as Error).message.replace(/^\[[A-Z_]+\] /, '')}`);
    }
    if (input.idempotencyKey !== undefined && (typeof input.idempotencyKey !== 'string' || input.idempotencyKey === '' || input.idempotencyKey.length > 512)) {
        throw invalid('idempotencyKey must be a non-empty string of at most 512 characters');
    }
    const source = await sourceIdentity(model);
    if (input.expect !== undefined && !sameIdentity(source, input.expect)) {
        throw new TrackerError(
            'FILE_CHANGED',
            `checkpoint ${model} changed after the hook was called (size ${input.expect.size} → ${source.size}); those bytes are gone — save each epoch to its own name, or make sure the hook reaches the server before the next save`,
        );
    }
    const datasets: { [name: string]: DatasetRef } = {};
    for (const [name, value] of Object.entries(input.datasets ?? {})) {
        if (typeof value !== 'string' || value === '') throw invalid(`datasets.${name} must be a directory or a record id or key`);
        const dir = path.resolve(cwd, value);
        const isDir = isDirectory(dir);
        datasets[name] = isDir ? { dir } : { ref: value };
    }
    const idempotencyKey = input.idempotencyKey ?? randomUUID();
    return {
        version: 1,
        entry: entryId(idempotencyKey),
        idempotencyKey,
        createdAt: new Date().toISOString(),
        pid: process.pid,
        key,
        run,
        model,
        source,
        ...(input.epoch !== undefined && { epoch: input.epoch }),
        ...(input.metrics !== undefined && { metrics: input.metrics }),
        ...(input.params !== undefined && { params: input.params }),
        ...(input.meta !== undefined && { meta: input.meta }),
        datasets,
        cwd,
    };
}

/** `models/<path inside the project>`, or `models/<file name>` for a checkpoint outside it. */
export function defaultModelKey(model: string, projectDir: string): string {
    const rel = path.relative(projectDir, model);
    const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    return `models/${(inside ? rel : path.basename(model)).split(path.sep).join('/')}`;
}

/** `datasets/<path inside the project>`, or `datasets/<directory name>` outside it. */
export function defaultDatasetKey(dir: string, projectDir: string): string {
    const rel = path.relative(projectDir, dir);
    const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    return `datasets/${(inside ? rel : path.basename(dir)).split(path.sep).join('/')}`;
}

/**
 * Records an entry whose snapshot is complete. Idempotent: a record of the key that already
 * carries this entry id (committed before a crash, before done/ was written) is returned as a
 * duplicate instead of recording again.
 */
export async function recordEntry(target: EpochTarget, entry: EntryFile, snapshot: string, snap: SnapshotFile, signal: AbortSignal): Promise<Omit<DoneFile, 'committedAt'>> {
    const datasets: { [name: string]: string } = {};
    for (const [name, ref] of Object.entries(entry.datasets)) {
        if ('dir' in ref) {
            // Unchanged content returns the latest manifest: a dataset is manifested once per content.
            const result = await target.recordDataset(ref.dir, { key: defaultDatasetKey(ref.dir, target.projectDir), signal });
            datasets[name] = result.record.id;
        } else {
            datasets[name] = (await target.resolve(ref.ref)).id;
        }
    }
    const recent = await recentVersions(target, entry.key);
    const already = recent.find((record) => record.meta.entry === entry.entry);
    const base = { entry: entry.entry, run: entry.run, key: entry.key, datasets };
    if (already !== undefined) {
        const previous = recent.slice(recent.indexOf(already) + 1).find((record) => record.meta.run === entry.run)?.id;
        return { ...base, record: already, ...(previous !== undefined && { previous }), duplicate: true };
    }
    const previous = recent.find((record) => record.meta.run === entry.run)?.id;
    const dependencies = [...new Set([...Object.values(datasets), ...(previous !== undefined ? [previous] : [])])];
    const meta: { [key: string]: JsonValue } = {
        ...(entry.meta ?? {}),
        run: entry.run,
        entry: entry.entry,
        ...(entry.epoch !== undefined && { epoch: entry.epoch }),
        ...(entry.metrics !== undefined && { metrics: entry.metrics }),
        ...(entry.params !== undefined && { params: entry.params }),
        ...(snap.git !== undefined && { git: { commit: snap.git.commit, dirty: snap.git.dirty } }),
        ...(Object.keys(datasets).length > 0 && { datasets }),
    };
    const type = dependencies.length > 0 ? 'transformation' : 'record';
    const record =
        entry.source.kind === 'file'
            ? (await target.recordSnapshot(snapshot, { key: entry.key, dependencies, meta, type, signal })).record
            : (await target.recordSnapshotDir(snapshot, { key: entry.key, upload: true, dependencies, meta, type, signal })).record;
    return { ...base, record, ...(previous !== undefined && { previous }), duplicate: false };
}

/** The newest versions of a key (none when it was never recorded). */
async function recentVersions(target: EpochTarget, key: string): Promise<ProvenanceRecord[]> {
    try {
        return (await target.history(key, { pageSize: 50 })).items;
    } catch (error) {
        if (error instanceof TrackerError && error.code === 'NOT_FOUND') return [];
        throw error;
    }
}

function invalid(message: string): TrackerError {
    return new TrackerError('INVALID_ARGUMENT', `epoch: ${message}`);
}

/** Synchronous for the hook's path (see snapshot.ts sourceIdentity). */
function isDirectory(dir: string): boolean {
    try {
        return statSync(dir).isDirectory();
    } catch {
        return false;
    }
}
