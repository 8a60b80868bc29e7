/**
 * "What changed between these two models?": two records compared on what a person asks about —
 * their bytes, the datasets they were trained on (files added, removed, changed between the
 * manifests), params, metrics, the code revision, and how their lineages differ.
 */
import type { JsonValue, LineageGraph, ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import type { ObjectStore } from '@hyperprov/storage';
import { MANIFEST_KIND, diffManifests, readManifest } from '../manifests/index.js';

export interface DiffSource {
    resolve(keyOrId: string): Promise<ProvenanceRecord>;
    show(id: string): Promise<ProvenanceRecord>;
    storeFor(location: string): Promise<ObjectStore>;
    dependencies(id: string): Promise<LineageGraph>;
}

/** Values that differ between `a` and `b`, per field (absent on one side: undefined there). */
export interface ValueDiff {
    added: { [name: string]: JsonValue };
    removed: { [name: string]: JsonValue };
    changed: { [name: string]: { a: JsonValue; b: JsonValue } };
}

/** One dataset compared: by name (the epoch hook's names) or by key. */
export interface DatasetComparison {
    name: string;
    a?: string;
    b?: string;
    /** `same`: the same manifest; `changed`: different manifests (files below); `added`/`removed`: only in b / only in a. */
    status: 'same' | 'changed' | 'added' | 'removed';
    files?: {
        added: string[];
        removed: string[];
        modified: string[];
        counts: { added: number; removed: number; modified: number; unchanged: number };
    };
}

export interface RecordDiff {
    a: { id: string; key: string; checksum: string; size: number; timestamp: string };
    b: { id: string; key: string; checksum: string; size: number; timestamp: string };
    /** Same bytes on both sides. */
    sameBytes: boolean;
    datasets: DatasetComparison[];
    params: ValueDiff;
    metrics: ValueDiff;
    code: { a?: JsonValue; b?: JsonValue; same: boolean };
    /** Records in only one side's upstream lineage (the two records themselves left out). */
    lineage: { onlyA: string[]; onlyB: string[]; shared: number };
}

/** Files listed per change in the result; the counts are always complete. */
const LIST_LIMIT = 1000;

export async function diffRecords(source: DiffSource, aRef: string, bRef: string, signal?: AbortSignal): Promise<RecordDiff> {
    const [a, b] = await Promise.all([source.resolve(aRef), source.resolve(bRef)]);
    const [datasetsA, datasetsB] = await Promise.all([datasetsOf(source, a), datasetsOf(source, b)]);
    const datasets: DatasetComparison[] = [];
    for (const name of [...new Set([...datasetsA.keys(), ...datasetsB.keys()])].sort()) {
        const left = datasetsA.get(name);
        const right = datasetsB.get(name);
        if (left === undefined) datasets.push({ name, b: right?.id as string, status: 'added' });
        else if (right === undefined) datasets.push({ name, a: left.id, status: 'removed' });
        else if (left.id === right.id || left.meta.root === right.meta.root) datasets.push({ name, a: left.id, b: right.id, status: 'same' });
        else {
            const [before, after] = await Promise.all([
                readManifest(left, await source.storeFor(left.location), signal ? { signal } : {}),
                readManifest(right, await source.storeFor(right.location), signal ? { signal } : {}),
            ]);
            const diff = diffManifests(before, after);
            datasets.push({
                name,
                a: left.id,
                b: right.id,
                status: 'changed',
                files: {
                    added: diff.added.slice(0, LIST_LIMIT).map((e) => e.path),
                    removed: diff.removed.slice(0, LIST_LIMIT).map((e) => e.path),
                    modified: diff.modified.slice(0, LIST_LIMIT).map((e) => e.path),
                    counts: diff.counts,
                },
            });
        }
    }
    const [lineageA, lineageB] = await Promise.all([source.dependencies(a.id), source.dependencies(b.id)]);
    const upA = new Set(Object.keys(lineageA.records).filter((id) => id !== a.id && id !== b.id));
    const upB = new Set(Object.keys(lineageB.records).filter((id) => id !== a.id && id !== b.id));
    const codeA = a.meta.git;
    const codeB = b.meta.git;
    return {
        a: summary(a),
        b: summary(b),
        sameBytes: a.checksum === b.checksum,
        datasets,
        params: valueDiff(a.meta.params, b.meta.params),
        metrics: valueDiff(a.meta.metrics, b.meta.metrics),
        code: { ...(codeA !== undefined && { a: codeA }), ...(codeB !== undefined && { b: codeB }), same: JSON.stringify(codeA) === JSON.stringify(codeB) },
        lineage: {
            onlyA: [...upA].filter((id) => !upB.has(id)).sort(),
            onlyB: [...upB].filter((id) => !upA.has(id)).sort(),
            shared: [...upA].filter((id) => upB.has(id)).length,
        },
    };
}

function summary(record: ProvenanceRecord): RecordDiff['a'] {
    return { id: record.id, key: record.key, checksum: record.checksum, size: record.size, timestamp: record.timestamp };
}

/**
 * The dataset manifests a record depends on, by name: the epoch hook's `meta.datasets` names,
 * else the last segment of the manifest's key. A manifest compared with a manifest is itself the dataset.
 */
async function datasetsOf(source: DiffSource, record: ProvenanceRecord): Promise<Map<string, ProvenanceRecord>> {
    const out = new Map<string, ProvenanceRecord>();
    if (record.meta.kind === MANIFEST_KIND && record.meta.files === undefined && typeof record.meta.run !== 'string') {
        out.set(record.key, record);
        return out;
    }
    const names = new Map<string, string>();
    const meta = record.meta.datasets;
    if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) {
        for (const [name, id] of Object.entries(meta)) if (typeof id === 'string') names.set(id, name);
    }
    for (const dep of record.dependencies) {
        const depRecord = await source.show(dep);
        if (depRecord.meta.kind !== MANIFEST_KIND) continue;
        out.set(names.get(dep) ?? depRecord.key, depRecord);
    }
    return out;
}

function valueDiff(a: JsonValue | undefined, b: JsonValue | undefined): ValueDiff {
    const left = isObject(a) ? a : {};
    const right = isObject(b) ? b : {};
    const diff: ValueDiff = { added: {}, removed: {}, changed: {} };
    for (const [name, value] of Object.entries(right)) {
        if (!(name in left)) diff.added[name] = value;
        else if (JSON.stringify(left[name]) !== JSON.stringify(value)) diff.changed[name] = { a: left[name] as JsonValue, b: value };
    }
    for (const [name, value] of Object.entries(left)) if (!(name in right)) diff.removed[name] = value;
    return diff;
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
