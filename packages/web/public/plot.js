// A small SVG line plot of a run's metrics per epoch: one line per numeric metric, each scaled to
// its own range (loss and accuracy differ by orders of magnitude), with the values in a tooltip.
const PALETTE = ['#b45309', '#0369a1', '#15803d', '#7c3aed', '#be123c', '#0f766e'];

export function plotMetrics(records) {
    const points = records
        .filter((r) => typeof r.meta?.epoch === 'number' && r.meta?.metrics && typeof r.meta.metrics === 'object')
        .map((r) => ({ epoch: r.meta.epoch, metrics: r.meta.metrics }));
    const names = [...new Set(points.flatMap((p) => Object.keys(p.metrics).filter((k) => typeof p.metrics[k] === 'number')))];
    const width = 640, height = 260, pad = 36;
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'plot');
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `metrics per epoch: ${names.join(', ')}`);
    if (points.length === 0 || names.length === 0) return svg;
    const epochs = points.map((p) => p.epoch);
    const [e0, e1] = [Math.min(...epochs), Math.max(...epochs)];
    const x = (e) => pad + ((e - e0) / (e1 - e0 || 1)) * (width - 2 * pad);
    names.forEach((name, i) => {
        const values = points.filter((p) => typeof p.metrics[name] === 'number').map((p) => [p.epoch, p.metrics[name]]);
        const [v0, v1] = [Math.min(...values.map((v) => v[1])), Math.max(...values.map((v) => v[1]))];
        const y = (v) => height - pad - ((v - v0) / (v1 - v0 || 1)) * (height - 2 * pad);
        const line = document.createElementNS(svg.namespaceURI, 'polyline');
        line.setAttribute('points', values.map(([e, v]) => `${x(e)},${y(v)}`).join(' '));
        line.setAttribute('fill', 'none');
        line.setAttribute('stroke', PALETTE[i % PALETTE.length]);
        line.setAttribute('stroke-width', '2');
        line.setAttribute('data-metric', name);
        const title = document.createElementNS(svg.namespaceURI, 'title');
        title.textContent = `${name}: ${values.map(([e, v]) => `epoch ${e} = ${v}`).join(', ')}`;
        line.append(title);
        svg.append(line);
        const label = document.createElementNS(svg.namespaceURI, 'text');
        // One legend line per metric: names and ranges have any length.
        label.setAttribute('x', width - pad);
        label.setAttribute('y', 16 + i * 15);
        label.setAttribute('text-anchor', 'end');
        label.setAttribute('font-size', '12');
        label.setAttribute('fill', PALETTE[i % PALETTE.length]);
        label.textContent = `${name} ${v0.toPrecision(3)}–${v1.toPrecision(3)}`;
        svg.append(label);
    });
    const axis = document.createElementNS(svg.namespaceURI, 'text');
    axis.setAttribute('x', width / 2);
    axis.setAttribute('y', height - 8);
    axis.textContent = `epoch ${e0}–${e1}`;
    svg.append(axis);
    return svg;
}
