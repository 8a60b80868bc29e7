/**
 * OpenLineage run events (https://openlineage.io/spec/2-0-2/OpenLineage.json) for the training
 * runs in a lineage graph: a run is a job (namespace `hyperprov`, name = the model key) and a run
 * (runId: a UUID derived from the run id, so exports agree); each epoch's checkpoint is an output
 * dataset version, the dataset manifests it depends on are inputs. One RUNNING event per epoch,
 * then one COMPLETE event at the last checkpoint's time.
 */
import { createHash } from 'node:crypto';
import type { LineageGraph, ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { kindOf } from './mermaid.js';

export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const PRODUCER = 'https://github.com/hyperprov/hyperprov';
const FACET_SCHEMA = 'https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet';

export interface OpenLineageEvent {
    eventType: 'RUNNING' | 'COMPLETE';
    eventTime: string;
    producer: string;
    schemaURL: string;
    run: { runId: string; facets?: object };
    job: { namespace: string; name: string; facets?: object };
    inputs: OpenLineageDataset[];
    outputs: OpenLineageDataset[];
}

interface OpenLineageDataset {
    namespace: string;
    name: string;
    facets: { version: { _producer: string; _schemaURL: string; datasetVersion: string } };
}

export function toOpenLineage(graph: LineageGraph): OpenLineageEvent[] {
    const runs = new Map<string, ProvenanceRecord[]>();
    for (const record of Object.values(graph.records)) {
        if (kindOf(record) !== 'checkpoint') continue;
        const run = record.meta.run as string;
        runs.set(run, [...(runs.get(run) ?? []), record]);
    }
    const events: OpenLineageEvent[] = [];
    for (const [run, records] of [...runs].sort(([a], [b]) => (a < b ? -1 : 1))) {
        records.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.id < b.id ? -1 : 1));
        const runId = uuidFrom(run);
        for (const [i, record] of records.entries()) {
            const inputs = record.dependencies
                .map((dep) => graph.records[dep])
                .filter((dep): dep is ProvenanceRecord => dep !== undefined && kindOf(dep) === 'dataset')
                .map(dataset);
            const base = {
                eventTime: record.timestamp,
                producer: PRODUCER,
                schemaURL: OPENLINEAGE_SCHEMA_URL,
                run: { runId },
                job: { namespace: 'hyperprov', name: record.key },
                inputs,
                outputs: [dataset(record)],
            };
            events.push({ eventType: 'RUNNING', ...base });
            if (i === records.length - 1) events.push({ eventType: 'COMPLETE', ...base });
        }
    }
    return events;
}

function dataset(record: ProvenanceRecord): OpenLineageDataset {
    return {
        namespace: record.location,
        name: record.key,
        facets: { version: { _producer: PRODUCER, _schemaURL: FACET_SCHEMA, datasetVersion: record.id } },
    };
}

/** A version-8 (custom) UUID from a run id: stable, so two exports of one run agree. */
function uuidFrom(run: string): string {
    const hex = createHash('sha256').update(`hyperprov-run:${run}`).digest('hex');
    const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
