/**
 * Rendering lineage graphs for humans: an indented tree (each record expanded once; later
 * occurrences in a diamond point back to the first) and Graphviz DOT.
 */
import type { LineageGraph, ProvenanceRecord } from '@hyperprov/chaincode/protocol';

/** `up`: what a record was made from; `down`: what was made from it. */
export type LineageDirection = 'up' | 'down';

/** One-line summary of a record: key, id, short checksum, timestamp. */
export function describeRecord(record: ProvenanceRecord): string {
    const checksum = record.checksum.startsWith('sha256:') ? `${record.checksum.slice(0, 19)}…` : record.checksum;
    return `${record.key}  ${record.id}  ${checksum}  ${record.timestamp}${record.type === 'transformation' ? '  (transformation)' : ''}`;
}

/** Levels of indentation drawn before deeper levels are flattened and labelled instead. */
export const MAX_TREE_INDENT = 24;

/**
 * Renders the graph as a tree rooted at `graph.root`. Iterative (explicit stack), so a
 * 100 000-deep chain cannot overflow the call stack; indentation stops growing after
 * {@link MAX_TREE_INDENT} levels (deeper lines carry their level), so output stays linear in size.
 */
export function renderLineageTree(graph: LineageGraph, direction: LineageDirection): string {
    const lines: string[] = [];
    const truncated = new Set(graph.truncated);
    const expanded = new Set<string>();
    const label = (id: string): string => {
        const record = graph.records[id];
        return record ? describeRecord(record) : `${id}  (record not returned)`;
    };
    // Each frame: id, the prefix for its own line, the prefix its children continue with.
    const stack: { id: string; level: number; linePrefix: string; childPrefix: string }[] = [
        { id: graph.root, level: 0, linePrefix: '', childPrefix: '' },
    ];
    while (stack.length > 0) {
        const { id, level, linePrefix: drawn, childPrefix } = stack.pop()!;
        const linePrefix = level > MAX_TREE_INDENT ? `${drawn}[level ${level}] ` : drawn;
        if (expanded.has(id)) {
            lines.push(`${linePrefix}${graph.records[id]?.key ?? id}  ${id}  (shown above)`);
            continue;
        }
        expanded.add(id);
        const children = graph.edges[id] ?? [];
        const more = truncated.has(id) ? '  … (depth limit; use --depth to see more)' : '';
        lines.push(`${linePrefix}${label(id)}${more}`);
        // Push in reverse so the first child is printed first.
        const flat = level >= MAX_TREE_INDENT;
        for (let i = children.length - 1; i >= 0; i--) {
            const last = i === children.length - 1;
            stack.push({
                id: children[i]!,
                level: level + 1,
                linePrefix: `${childPrefix}${last ? '└── ' : '├── '}`,
                childPrefix: flat ? childPrefix : `${childPrefix}${last ? '    ' : '│   '}`,
            });
        }
    }
    if ((graph.edges[graph.root] ?? []).length === 0) {
        lines.push(direction === 'up' ? '(no dependencies)' : '(nothing depends on this record)');
    }
    return lines.join('\n');
}

/**
 * Renders the graph in Graphviz DOT. Arrows follow the data: from a dependency to what was made
 * from it, whichever direction was queried.
 */
export function renderLineageDot(graph: LineageGraph, direction: LineageDirection): string {
    const lines = ['digraph lineage {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];'];
    for (const [id, record] of Object.entries(graph.records)) {
        const attrs = id === graph.root ? ', style=bold' : '';
        lines.push(`  ${dotString(id)} [label=${dotString(`${record.key}\n${id}`)}${attrs}];`);
    }
    for (const [from, tos] of Object.entries(graph.edges)) {
        for (const to of tos) {
            const [source, target] = direction === 'up' ? [to, from] : [from, to];
            lines.push(`  ${dotString(source)} -> ${dotString(target)};`);
        }
    }
    lines.push('}');
    return lines.join('\n');
}

function dotString(value: string): string {
    return JSON.stringify(value);
}
