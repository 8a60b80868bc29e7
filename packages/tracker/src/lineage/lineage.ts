/**
 * Lineage queries: where a record came from (up) and what was made from it (down), as one
 * contract call that returns the whole DAG of full records.
 */
import type { LineageGraph, ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import type { ProvenanceClient } from '../client/provenance-client.js';
import type { LineageDirection } from './lineage-format.js';

/** A lineage graph and the direction it was walked in. */
export interface Lineage extends LineageGraph {
    direction: LineageDirection;
}

/** Options of {@link getLineage}. */
export interface GetLineageOptions {
    /** `up` (default): dependencies; `down`: dependents. */
    direction?: LineageDirection;
    /** Levels to follow; default unlimited. */
    depth?: number;
    signal?: AbortSignal;
}

/** Fetches the lineage of record `id` in one ledger query. */
export async function getLineage(client: ProvenanceClient, id: string, options: GetLineageOptions = {}): Promise<Lineage> {
    const direction = options.direction ?? 'up';
    const query = {
        ...(options.depth !== undefined && { depth: options.depth }),
        ...(options.signal && { signal: options.signal }),
    };
    const graph = direction === 'up' ? await client.dependencies(id, query) : await client.dependents(id, query);
    return { ...graph, direction };
}

/** A record with its distance from the root. */
export interface LineageEntry {
    level: number;
    record: ProvenanceRecord;
}

/** Records of a graph in breadth-first order from the root, each once, with its level. */
export function lineageLevels(graph: LineageGraph): LineageEntry[] {
    const entries: LineageEntry[] = [];
    const seen = new Set<string>([graph.root]);
    let frontier = [graph.root];
    for (let level = 0; frontier.length > 0; level++) {
        const next: string[] = [];
        for (const id of frontier) {
            const record = graph.records[id];
            if (record) entries.push({ level, record });
            for (const child of graph.edges[id] ?? []) {
                if (!seen.has(child)) {
                    seen.add(child);
                    next.push(child);
                }
            }
        }
        frontier = next;
    }
    return entries;
}
