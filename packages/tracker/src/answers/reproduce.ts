/**
 * "Give me exactly the model and data of run N": a model record (or a run's checkpoint) is
 * fetched with its dataset manifests and, where they were uploaded, the dataset files, every byte
 * checked against its record, into a staging directory beside the target that is renamed into
 * place only when everything matched. On any mismatch or interruption the staging directory is
 * removed: the target is absent (or the empty directory it was) afterwards, never partial.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JsonValue, ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import type { ObjectStore } from '@hyperprov/storage';
import { TrackerError, isTrackerError } from '@hyperprov/errors';
import { MANIFEST_KIND, filesMetaOf, parseManifest, restoreDataset } from '../manifests/index.js';
import { fetchRecordBytes } from '../pipeline/record-fetch.js';

/**
 * Dataset files fetched at once. Small files cost an fsync each; many in flight let the file
 * system commit them together (10,000 files: 4 at a time spends most of the time in fsync).
 */
const RESTORE_CONCURRENCY = 32;

/** What reproduce needs from the tracker. */
export interface ReproduceSource {
    resolve(keyOrId: string): Promise<ProvenanceRecord>;
    show(id: string): Promise<ProvenanceRecord>;
    storeFor(location: string): Promise<ObjectStore>;
    runRecords(run: string): AsyncIterable<ProvenanceRecord>;
}

/** Which model: a record id or key, or a run's checkpoint (the last one, or that of `epoch`). */
export type ReproduceTarget = { id: string } | { run: string; epoch?: number };

export interface ReproduceOptions {
    signal?: AbortSignal;
    /** Told after each step (model, each manifest, each dataset). */
    onProgress?: (step: string) => void;
}

/** One dataset of the model, as `reproduce.json` lists it. */
export interface ReproducedDataset {
    name: string;
    id: string;
    key: string;
    /** Content checksum of the manifest (`root`) and its size. */
    root: string;
    files: number;
    bytes: number;
    /** Where the manifest was written, relative to the output directory. */
    manifest: string;
    /** Where its files were written (when they were uploaded), relative to the output directory. */
    dir?: string;
    /** When the files were not uploaded: how to check a local copy against the manifest. */
    check?: string;
}

/** `reproduce.json`. */
export interface ReproduceReport {
    schema: 1;
    dir: string;
    model: { id: string; key: string; checksum: string; size: number; kind: 'file' | 'directory'; path: string };
    run?: string;
    epoch?: number;
    params?: JsonValue;
    metrics?: JsonValue;
    code?: JsonValue;
    /** The run's previous checkpoint this one depends on. */
    previous?: string;
    datasets: ReproducedDataset[];
    /** Every file written and checked (model, manifests, dataset files). */
    verified: { files: number; bytes: number };
    createdAt: string;
}

export async function reproduce(source: ReproduceSource, target: ReproduceTarget, outDir: string, options: ReproduceOptions = {}): Promise<ReproduceReport> {
    const { signal } = options;
    const model = await pickModel(source, target);
    const out = path.resolve(outDir);
    await assertUsableTarget(out);
    const staging = path.join(path.dirname(out), `.${path.basename(out)}.reproduce-${randomBytes(4).toString('hex')}`);
    // Missing parents are made, and removed again if the reproduction fails: nothing is left.
    let madeParent: string | undefined;
    try {
        madeParent = await mkdir(path.dirname(out), { recursive: true });
        await mkdir(staging);
    } catch (error) {
        if (madeParent) await rm(madeParent, { recursive: true, force: true });
        throw new TrackerError('IO_ERROR', `cannot create ${path.dirname(out)}: ${(error as Error).message}; give a directory you can write to`, { cause: error });
    }
    try {
        let files = 0;
        let bytes = 0;
        const modelStore = await source.storeFor(model.location);
        const kind = model.meta.kind === MANIFEST_KIND ? 'directory' : 'file';
        let modelPath: string;
        if (kind === 'directory') {
            if (filesMetaOf(model) === undefined) {
                throw new TrackerError('NOT_FOUND', `model ${model.id} is a checkpoint directory recorded without its files; nothing to fetch`);
            }
            modelPath = 'model';
            const restored = await restoreDataset(model, modelStore, path.join(staging, modelPath), signal ? { signal } : {});
            files += restored.files;
            bytes += restored.bytes;
        } else {
            modelPath = `model/${safeName(model.key.split('/').pop() ?? 'model')}`;
            await mkdir(path.join(staging, 'model'));
            const fetched = await fetchRecordBytes(model, modelStore, path.join(staging, modelPath), signal ? { signal } : {});
            files++;
            bytes += fetched.bytes;
        }
        options.onProgress?.(`model ${model.id}`);

        const names = datasetNames(model);
        const datasets: ReproducedDataset[] = [];
        for (const dep of model.dependencies) {
            const record = await source.show(dep);
            if (record.meta.kind !== MANIFEST_KIND) continue;
            const name = uniqueName(names.get(dep) ?? record.key.split('/').pop() ?? 'dataset', datasets);
            const store = await source.storeFor(record.location);
            // The manifest's own bytes, checked against its record, then parsed.
            await mkdir(path.join(staging, 'manifests'), { recursive: true });
            const manifestPath = `manifests/${name}.json`;
            const fetched = await fetchRecordBytes(record, store, path.join(staging, manifestPath), signal ? { signal } : {});
            files++;
            bytes += fetched.bytes;
            // Parsed from the copy just written and checked, not read from the store a second time.
            const manifest = parseManifest(await readFile(path.join(staging, manifestPath)), `manifest of record ${record.id}`);
            const entry: ReproducedDataset = { name, id: record.id, key: record.key, root: manifest.root, files: manifest.count, bytes: manifest.totalSize, manifest: manifestPath };
            if (filesMetaOf(record) !== undefined) {
                await mkdir(path.join(staging, 'datasets'), { recursive: true });
                const restored = await restoreDataset(record, store, path.join(staging, 'datasets', name), { concurrency: RESTORE_CONCURRENCY, ...(signal && { signal }) });
                files += restored.files;
                bytes += restored.bytes;
                entry.dir = `datasets/${name}`;
            } else {
                entry.check = `hyperprov verify ${record.id} --against <your copy of ${record.key}>`;
            }
            datasets.push(entry);
            options.onProgress?.(`dataset ${name}`);
        }
        const previous = model.dependencies.find((dep) => !datasets.some((d) => d.id === dep));
        const report: ReproduceReport = {
            schema: 1,
            dir: out,
            model: { id: model.id, key: model.key, checksum: model.checksum, size: model.size, kind, path: modelPath },
            ...(typeof model.meta.run === 'string' && { run: model.meta.run }),
            ...(typeof model.meta.epoch === 'number' && { epoch: model.meta.epoch }),
            ...(model.meta.params !== undefined && { params: model.meta.params }),
            ...(model.meta.metrics !== undefined && { metrics: model.meta.metrics }),
            ...(model.meta.git !== undefined && { code: model.meta.git }),
            ...(previous !== undefined && { previous }),
            datasets,
            verified: { files, bytes },
            createdAt: new Date().toISOString(),
        };
        await writeFile(path.join(staging, 'reproduce.json'), `${JSON.stringify(report, null, 2)}\n`);
        await writeFile(path.join(staging, 'SUMMARY.md'), summary(report));
        signal?.throwIfAborted();
        // An empty directory at the target is replaced by the rename; anything else was refused above.
        await rename(staging, out);
        return report;
    } catch (error) {
        await rm(staging, { recursive: true, force: true });
        if (madeParent) await rm(madeParent, { recursive: true, force: true });
        if (signal?.aborted && !isTrackerError(error)) throw new TrackerError('ABORTED', 'reproduce was interrupted; nothing was written', { cause: error });
        throw error;
    }
}

async function pickModel(source: ReproduceSource, target: ReproduceTarget): Promise<ProvenanceRecord> {
    if ('id' in target) return source.resolve(target.id);
    let chosen: ProvenanceRecord | undefined;
    for await (const record of source.runRecords(target.run)) {
        if (target.epoch === undefined || record.meta.epoch === target.epoch) chosen = record;
    }
    if (chosen === undefined) {
        throw new TrackerError('NOT_FOUND', `run ${target.run} has no checkpoint of epoch ${target.epoch}; \`hyperprov run ${target.run}\` lists its epochs`);
    }
    return chosen;
}

async function assertUsableTarget(out: string): Promise<void> {
    let names: string[];
    try {
        names = await readdir(out);
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        if (code === 'ENOTDIR') throw new TrackerError('ALREADY_EXISTS', `${out} is a file; give a new directory to reproduce into`);
        throw new TrackerError('IO_ERROR', `cannot use ${out}: ${(error as Error).message}`, { cause: error });
    }
    if (names.length > 0) throw new TrackerError('ALREADY_EXISTS', `${out} is not empty; give a new or empty directory to reproduce into`);
}

/** Dataset names from the epoch hook's `meta.datasets` (name → id). */
function datasetNames(model: ProvenanceRecord): Map<string, string> {
    const names = new Map<string, string>();
    const datasets = model.meta.datasets;
    if (typeof datasets === 'object' && datasets !== null && !Array.isArray(datasets)) {
        for (const [name, id] of Object.entries(datasets)) if (typeof id === 'string') names.set(id, safeName(name));
    }
    return names;
}

function uniqueName(name: string, taken: readonly ReproducedDataset[]): string {
    let candidate = safeName(name);
    for (let n = 2; taken.some((d) => d.name === candidate); n++) candidate = `${safeName(name)}-${n}`;
    return candidate;
}

/** A single path segment: no separators, no dot-names. */
function safeName(name: string): string {
    const cleaned = name.replace(/[/\\\u0000]/g, '_');
    return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'item' : cleaned;
}

function summary(report: ReproduceReport): string {
    const lines = [
        `# Reproduction of ${report.model.key}`,
        '',
        `- model: ${report.model.path} (${report.model.kind}, record ${report.model.id}, ${report.model.checksum})`,
        ...(report.run !== undefined ? [`- run: ${report.run}${report.epoch !== undefined ? `, epoch ${report.epoch}` : ''}`] : []),
        ...(report.code !== undefined ? [`- code: ${JSON.stringify(report.code)}`] : []),
        ...(report.params !== undefined ? [`- params: ${JSON.stringify(report.params)}`] : []),
        ...(report.metrics !== undefined ? [`- metrics: ${JSON.stringify(report.metrics)}`] : []),
        ...(report.previous !== undefined ? [`- previous checkpoint: ${report.previous}`] : []),
        '',
        '## Datasets',
        '',
        ...(report.datasets.length === 0 ? ['(none recorded)'] : []),
        ...report.datasets.map((d) =>
            d.dir !== undefined
                ? `- ${d.name}: ${d.dir}/ — ${d.files} files, ${d.bytes} bytes, manifest ${d.manifest} (record ${d.id})`
                : `- ${d.name}: files not stored; expected ${d.files} files, ${d.bytes} bytes as listed in ${d.manifest}; check a local copy with \`${d.check}\``,
        ),
        '',
        `Every file above was checked against its recorded SHA-256: ${report.verified.files} files, ${report.verified.bytes} bytes.`,
        '',
    ];
    return lines.join('\n');
}
