// The page: hash routes #/ (search), #/record/<id>, #/runs, #/run/<id>. Everything shown comes
// from the REST API; text is always set with textContent, never parsed as HTML.
import { api, q, takeTokenFromUrl } from './api.js';
import { drawLineage, kindOf } from './graph.js';
import { plotMetrics } from './plot.js';

const main = document.getElementById('main');
/**
 * For automation (the browser test) and the curious: the current graph, how long it took to lay
 * out and draw, and which address it was drawn for (`view`, set once it is on screen).
 */
window.hyperprov = { cy: undefined, drawnMs: undefined, view: undefined, ready: Promise.resolve() };

function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
        if (name === 'onclick') node.addEventListener('click', value);
        else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')));
    return node;
}

function table(rows) {
    return el('table', {}, ...rows.map(([name, value]) => el('tr', {}, el('th', {}, name), el('td', { class: 'mono' }, value))));
}

function recordLink(id, text = id) {
    return el('a', { href: `#/record/${q(id)}`, class: 'mono' }, text);
}

function showError(error) {
    main.replaceChildren(el('p', { class: 'error', role: 'alert' }, error.message));
}

async function searchView(query) {
    const box = el('section', {}, el('h1', {}, 'Search'));
    if (!query) {
        box.append(el('p', {}, 'Type a key (e.g. models/resnet50), a record id or a sha256: checksum above.'));
        main.replaceChildren(box);
        return;
    }
    const result = await api(`/v1/search?q=${q(query)}`);
    box.append(el('p', {}, `${result.matches.length} match${result.matches.length === 1 ? '' : 'es'} for “${query}”`));
    box.append(
        el('table', { class: 'results' },
            el('tr', {}, el('th', {}, 'matched by'), el('th', {}, 'key'), el('th', {}, 'record'), el('th', {}, 'time')),
            ...result.matches.map((m) => el('tr', {}, el('td', {}, m.how), el('td', {}, m.record.key), el('td', {}, recordLink(m.record.id)), el('td', {}, m.record.timestamp))),
        ),
    );
    main.replaceChildren(box);
    if (result.matches.length === 1) location.hash = `#/record/${q(result.matches[0].record.id)}`;
}

async function recordView(id, params) {
    const direction = params.get('direction') === 'down' ? 'down' : 'up';
    const depth = params.get('depth') ?? '3';
    const record = await api(`/v1/records/${q(id)}`);
    const [history, lineage] = await Promise.all([
        api(`/v1/history?key=${q(record.key)}&pageSize=20`),
        api(`/v1/lineage/${q(id)}?direction=${direction}&depth=${q(depth)}`),
    ]);
    const verifyOut = el('span', { id: 'verify-result' });
    const verify = el('button', {
        id: 'verify',
        onclick: async () => {
            verifyOut.textContent = 'checking…';
            try {
                const report = await api('/v1/verify', { method: 'POST', body: JSON.stringify({ target: id }) });
                verifyOut.className = report.ok ? 'ok' : 'bad';
                verifyOut.textContent = report.ok ? 'bytes match the record' : `mismatch: ${JSON.stringify(report.objects?.problems ?? report)}`;
            } catch (error) {
                verifyOut.className = 'bad';
                verifyOut.textContent = error.message;
            }
        },
    }, 'Verify stored bytes');
    const depthInput = el('input', { type: 'number', min: '0', max: '1000', value: depth, id: 'depth', 'aria-label': 'depth' });
    const go = (dir) => () => (location.hash = `#/record/${q(id)}?direction=${dir}&depth=${q(depthInput.value || '3')}`);
    const graphBox = el('div', { id: 'graph', role: 'img', 'aria-label': `lineage ${direction} of ${record.key}` });
    const nodeList = el('ul', { class: 'graph-nodes' }, ...Object.values(lineage.records).map((r) => el('li', { 'data-id': r.id, 'data-kind': kindOf(r) }, r.key)));
    main.replaceChildren(
        el('h1', {}, record.key),
        table([
            ['id', record.id],
            ['checksum', record.checksum],
            ['size', `${record.size} bytes`],
            ['type', record.type],
            ['creator', `${record.creator.mspId} ${record.creator.id}`],
            ['timestamp', record.timestamp],
            ['location', `${record.location} ${record.pointer}`],
            ['meta', JSON.stringify(record.meta)],
        ]),
        el('p', {}, verify, ' ', verifyOut),
        el('h2', {}, `Lineage (${direction === 'up' ? 'made from' : 'built from it'})`),
        el('div', { class: 'controls' },
            el('button', { id: 'lineage-up', onclick: go('up') }, 'Up: made from'),
            el('button', { id: 'lineage-down', onclick: go('down') }, 'Down: built from it'),
            el('label', {}, 'depth ', depthInput),
            el('span', { class: 'legend' }, el('span', { class: 'dataset' }, 'dataset'), el('span', { class: 'checkpoint' }, 'checkpoint'), el('span', { class: 'record' }, 'record')),
            el('span', { id: 'graph-count' }, `${Object.keys(lineage.records).length} records${lineage.truncated.length ? ', more beyond this depth' : ''}`),
        ),
        graphBox,
        nodeList,
        el('h2', {}, 'History of this key'),
        el('table', {}, ...history.items.map((v) => el('tr', {}, el('td', {}, recordLink(v.id)), el('td', {}, v.timestamp), el('td', { class: 'mono' }, v.checksum.slice(0, 23))))),
    );
    const started = performance.now();
    const view = location.hash;
    const { cy, laidOut } = drawLineage(graphBox, lineage, (open) => (location.hash = `#/record/${q(open)}`));
    window.hyperprov.cy?.destroy();
    window.hyperprov.cy = cy;
    window.hyperprov.ready = laidOut.then(() => {
        window.hyperprov.drawnMs = performance.now() - started;
        window.hyperprov.view = view;
    });
}

async function runsView() {
    const page = await api('/v1/runs?pageSize=100');
    main.replaceChildren(
        el('h1', {}, 'Runs'),
        el('table', { class: 'runs' },
            el('tr', {}, ...['run', 'model', 'checkpoints', 'first', 'last', 'last metrics'].map((h) => el('th', {}, h))),
            ...page.items.map((r) => el('tr', {}, el('td', {}, el('a', { href: `#/run/${q(r.run)}` }, r.run)), el('td', {}, r.keys.join(', ')), el('td', {}, r.epochs), el('td', {}, r.first), el('td', {}, r.last), el('td', { class: 'mono' }, JSON.stringify(r.lastMetrics ?? {})))),
        ),
    );
}

async function runView(id) {
    const details = await api(`/v1/runs/${q(id)}?pageSize=1000`);
    main.replaceChildren(
        el('h1', {}, `Run ${id}`),
        el('p', {}, `${details.summary.epochs} checkpoints of ${details.summary.keys.join(', ')}, ${details.summary.first} – ${details.summary.last}`),
        plotMetrics(details.records.items),
        el('table', { class: 'epochs' },
            el('tr', {}, ...['epoch', 'record', 'metrics', 'time'].map((h) => el('th', {}, h))),
            ...details.records.items.map((r) => el('tr', {}, el('td', {}, r.meta.epoch ?? '–'), el('td', {}, recordLink(r.id, r.id.slice(0, 16))), el('td', { class: 'mono' }, JSON.stringify(r.meta.metrics ?? {})), el('td', {}, r.timestamp))),
        ),
    );
}

async function route() {
    const [path, search = ''] = location.hash.replace(/^#/, '').split('?');
    const params = new URLSearchParams(search);
    const parts = (path || '/').split('/').filter(Boolean).map(decodeURIComponent);
    try {
        if (parts[0] === 'record' && parts[1]) await recordView(parts[1], params);
        else if (parts[0] === 'runs') await runsView();
        else if (parts[0] === 'run' && parts[1]) await runView(parts[1]);
        else await searchView(params.get('q') ?? '');
    } catch (error) {
        showError(error);
    }
}

document.getElementById('search').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = document.getElementById('q').value.trim();
    location.hash = `#/?q=${q(value)}`;
});
// The token may arrive with any navigation (a pasted address on an open page is only a hash change).
function navigate() {
    if (!takeTokenFromUrl()) {
        showError(new Error('no access token: open the address `hyperprov serve` printed (it ends in #token=…)'));
        return;
    }
    route();
}
window.addEventListener('hashchange', navigate);
navigate();
