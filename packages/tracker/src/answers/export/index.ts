/** Exports of a lineage graph for other tools: W3C PROV-JSON, Graphviz DOT, Mermaid, OpenLineage run events. */
import type { LineageGraph } from '@hyperprov/chaincode/protocol';
import { renderLineageDot, type LineageDirection } from '../../lineage/lineage-format.js';
import { toMermaid } from './mermaid.js';
import { toOpenLineage } from './openlineage.js';
import { toProvJson } from './prov-json.js';

export const EXPORT_FORMATS = ['prov-json', 'dot', 'mermaid', 'openlineage'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** An export: its text and the media type to serve it with. */
export interface ExportResult {
    format: ExportFormat;
    contentType: string;
    text: string;
}

export function exportGraph(graph: LineageGraph, direction: LineageDirection, format: ExportFormat): ExportResult {
    switch (format) {
        case 'prov-json':
            return { format, contentType: 'application/json', text: `${JSON.stringify(toProvJson(graph), null, 2)}\n` };
        case 'dot':
            return { format, contentType: 'text/vnd.graphviz', text: `${renderLineageDot(graph, direction)}\n` };
        case 'mermaid':
            return { format, contentType: 'text/vnd.mermaid', text: toMermaid(graph) };
        case 'openlineage':
            // One event per line (NDJSON), as OpenLineage file transports write them.
            return { format, contentType: 'application/x-ndjson', text: toOpenLineage(graph).map((event) => `${JSON.stringify(event)}\n`).join('') };
    }
}

export { toProvJson, toMermaid, toOpenLineage };
export { kindOf } from './mermaid.js';
