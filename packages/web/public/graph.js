// The lineage graph, drawn with cytoscape: data flows left to right, nodes coloured by what they
// are (dataset manifest, checkpoint of a run, other record), the queried record in bold; a click
// on a node opens that record.
import cytoscape from '/assets/cytoscape.mjs';

const COLOURS = { dataset: '#0369a1', checkpoint: '#b45309', record: '#374151' };

export function kindOf(record) {
    if (typeof record.meta?.run === 'string') return 'checkpoint';
    if (record.meta?.kind === 'hyperprov.dataset-manifest') return 'dataset';
    return 'record';
}

/** Draws `graph` (a lineage: root, records, edges, direction) into `container`; resolves once laid out. */
export function drawLineage(container, graph, onOpen) {
    const elements = [];
    for (const record of Object.values(graph.records)) {
        elements.push({ data: { id: record.id, label: `${record.key}\n${record.id.slice(0, 10)}`, kind: kindOf(record), root: record.id === graph.root ? 1 : 0 } });
    }
    for (const [from, tos] of Object.entries(graph.edges)) {
        for (const to of tos) {
            // Arrows follow the data: from what something was made of to what was made.
            const [source, target] = graph.direction === 'down' ? [from, to] : [to, from];
            if (graph.records[source] && graph.records[target]) elements.push({ data: { id: `${source}->${target}`, source, target } });
        }
    }
    const cy = cytoscape({
        container,
        elements,
        style: [
            { selector: 'node', style: { label: 'data(label)', 'text-wrap': 'wrap', 'font-size': 9, 'text-valign': 'bottom', 'text-margin-y': 4, width: 18, height: 18, 'background-color': (n) => COLOURS[n.data('kind')] } },
            { selector: 'node[root = 1]', style: { 'border-width': 4, 'border-color': '#111827', width: 26, height: 26 } },
            { selector: 'edge', style: { width: 1.5, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', 'line-color': '#9ca3af', 'target-arrow-color': '#9ca3af' } },
        ],
    });
    const laidOut = new Promise((resolve) => cy.one('layoutstop', resolve));
    const roots = cy.nodes().filter((n) => n.indegree(false) === 0);
    cy.layout({ name: 'breadthfirst', directed: true, roots, spacingFactor: 0.9, animate: false, transform: (_, p) => ({ x: p.y, y: p.x }) }).run();
    cy.on('tap', 'node', (event) => onOpen(event.target.id()));
    return { cy, laidOut };
}
