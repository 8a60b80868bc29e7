/**
 * Breadth-first lineage traversal shared by getDependencies (upstream) and getDependents
 * (downstream). Each record is fetched once however many paths reach it (diamond DAGs), and a
 * visited set makes cycles harmless even though the contract itself can never create one.
 */
import type { LineageGraph, ProvenanceRecord } from './record';

/** How to walk one direction of the lineage graph. */
export interface LineageWalker {
    /** Loads a record by id, reached from record `from`; undefined when it does not exist. */
    fetch(id: string, from: ProvenanceRecord): Promise<ProvenanceRecord | undefined>;
    /** Ids one step further from the root (dependencies upstream, dependents downstream). */
    neighbours(record: ProvenanceRecord): Promise<string[]>;
    /** Whether `record` has any neighbour; asked only at the depth limit to fill `truncated`. */
    hasNeighbours(record: ProvenanceRecord): Promise<boolean>;
    /** Called when an edge points at a record that cannot be loaded. */
    missing(id: string, from: string): never;
}

/**
 * Collects every record within `depth` edges of `root`. Nodes are expanded at their shortest
 * distance from the root; nodes at exactly `depth` that have further edges are listed in
 * `truncated` and get no `edges` entry, so every id in `edges` is also in `records`.
 */
export async function walkLineage(root: ProvenanceRecord, depth: number, walker: LineageWalker): Promise<LineageGraph> {
    // Maps, not objects: ids come from state and must never collide with Object.prototype names.
    const records = new Map<string, ProvenanceRecord>([[root.id, root]]);
    const edges = new Map<string, string[]>();
    const truncated: string[] = [];
    let frontier: ProvenanceRecord[] = [root];

    for (let level = 0; frontier.length > 0; level++) {
        if (level === depth) {
            const flags = await Promise.all(frontier.map((record) => walker.hasNeighbours(record)));
            frontier.forEach((record, i) => {
                if (flags[i]) truncated.push(record.id);
            });
            break;
        }
        const lists = await Promise.all(frontier.map((record) => walker.neighbours(record)));
        const next: string[] = [];
        const nextParent = new Map<string, string>();
        frontier.forEach((record, i) => {
            const ids = lists[i] ?? [];
            edges.set(record.id, ids);
            for (const id of ids) {
                if (records.has(id) || nextParent.has(id)) continue;
                nextParent.set(id, record.id);
                next.push(id);
            }
        });
        const loaded = await Promise.all(next.map((id) => walker.fetch(id, records.get(nextParent.get(id) as string) as ProvenanceRecord)));
        frontier = [];
        next.forEach((id, i) => {
            const record = loaded[i];
            if (record === undefined) walker.missing(id, nextParent.get(id) as string);
            records.set(id, record);
            frontier.push(record);
        });
    }
    return {
        root: root.id,
        records: Object.fromEntries(records),
        edges: Object.fromEntries(edges),
        truncated,
    };
}
