/**
 * Mermaid flowchart of a lineage graph: data flows left to right, datasets, checkpoints and other
 * records drawn in their own class, the root in bold. Labels are quoted and escaped with Mermaid's
 * entity codes, so any key renders.
 */
import type { LineageGraph, ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { edgesFromData } from './graph-edges.js';

export function toMermaid(graph: LineageGraph): string {
    const ids = new Map<string, string>();
    const node = (id: string): string => {
        let name = ids.get(id);
        if (name === undefined) {
            name = `n${ids.size}`;
            ids.set(id, name);
        }
        return name;
    };
    const lines = ['flowchart LR'];
    for (const record of Object.values(graph.records)) {
        lines.push(`  ${node(record.id)}["${escapeLabel(record.key)}<br/><small>${record.id.slice(0, 12)}</small>"]:::${kindOf(record)}`);
    }
    for (const [id, sources] of edgesFromData(graph)) {
        for (const source of sources) lines.push(`  ${node(source)} --> ${node(id)}`);
    }
    lines.push('  classDef dataset fill:#e0f2fe,stroke:#0369a1');
    lines.push('  classDef checkpoint fill:#fef3c7,stroke:#b45309');
    lines.push('  classDef record fill:#f3f4f6,stroke:#374151');
    lines.push(`  style ${node(graph.root)} stroke-width:3px`);
    return `${lines.join('\n')}\n`;
}

/** `dataset` (a manifest), `checkpoint` (a run's epoch) or `record`: what the page and exports colour by. */
export function kindOf(record: ProvenanceRecord): 'dataset' | 'checkpoint' | 'record' {
    if (typeof record.meta.run === 'string') return 'checkpoint';
    if (record.meta.kind === 'hyperprov.dataset-manifest') return 'dataset';
    return 'record';
}

function escapeLabel(text: string): string {
    return text.replace(/[&"<>#]/g, (c) => `#${c.codePointAt(0)};`);
}
