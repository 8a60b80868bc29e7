/** Edges of a lineage graph in the direction of the data, whichever way it was queried. */
import type { LineageGraph } from '@hyperprov/chaincode/protocol';

/**
 * record id → the ids it was made from, within the graph. A graph queried up lists dependencies
 * under each record already; one queried down lists dependents, which are turned around here.
 */
export function edgesFromData(graph: LineageGraph): Map<string, string[]> {
    const madeFrom = new Map<string, string[]>();
    for (const record of Object.values(graph.records)) {
        madeFrom.set(
            record.id,
            record.dependencies.filter((dep) => graph.records[dep] !== undefined),
        );
    }
    return madeFrom;
}
