/**
 * The web page in a real browser: Debian's chromium (installed with apt-get when missing, as the
 * sshfs tests install their tools) driven by puppeteer-core, against the real project server after
 * a run tracked through the epoch hook. Checks the lineage graph shows the expected nodes, that
 * clicking a node opens its record, the runs page plots the metrics, and how long a 500-node
 * graph takes to show. A screenshot is kept under test-artifacts/ (ignored by git).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { initTracker } from '@hyperprov/tracker';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ProjectServer } from './index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');

/** Debian's chromium, installed with apt-get when missing (needs root, as the sshfs tests do). */
function ensureChromium(): void {
    if (existsSync(CHROMIUM)) return;
    if (process.getuid?.() !== 0) throw new Error('chromium is missing; install it with: sudo apt-get install -y chromium');
    const options = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: 'inherit' as const, timeout: 900_000 };
    execFileSync('apt-get', ['update', '-qq', '-o', 'DPkg::Lock::Timeout=600'], options);
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600', 'chromium', 'fonts-dejavu-core'], options);
}

let dir: string;
let server: ProjectServer;
let browser: Browser;
let page: Page;
const ids: string[] = [];
const datasets: Record<string, string> = {};

async function post(route: string, body: unknown): Promise<any> {
    const response = await fetch(`${server.url}${route}`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await response.json();
    if (!response.ok) throw new Error(JSON.stringify(json));
    return json;
}

beforeAll(async () => {
    ensureChromium();
    dir = await mkdtemp(path.join(tmpdir(), 'hyperprov-web-'));
    await initTracker({ dir, durability: 'none' });
    for (const name of ['train', 'test']) {
        await mkdir(path.join(dir, name));
        await writeFile(path.join(dir, name, 'rows.csv'), `${name} rows`);
    }
    server = await startServer({ projectDir: dir });
    for (let epoch = 0; epoch < 3; epoch++) {
        await writeFile(path.join(dir, 'model.pt'), `weights ${epoch}`);
        const posted = await post('/v1/epoch', { model: 'model.pt', cwd: dir, key: 'models/web', epoch, metrics: { loss: 1 / (epoch + 1), acc: 0.5 + epoch / 10 }, run: 'web-run', datasets: { train: 'train', test: 'test' }, wait: 'committed', timeoutMs: 60_000 });
        ids.push(posted.record.id);
        Object.assign(datasets, posted.datasets);
    }
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await mkdir(ARTIFACTS, { recursive: true });
}, 900_000);

afterAll(async () => {
    await browser?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
});

/** Names the step that timed out, with the address the page was at. */
async function step<T>(name: string, action: Promise<T>): Promise<T> {
    try {
        return await action;
    } catch (error) {
        const where = await page.evaluate(() => (globalThis as any).location.hash).catch(() => '?');
        throw new Error(`${name} failed at ${where}: ${(error as Error).message}`);
    }
}

async function graphNodes(): Promise<{ id: string; kind: string; x: number; y: number }[]> {
    // The graph drawn for the address now shown, not the one before a navigation.
    await page.waitForFunction(() => (globalThis as any).hyperprov?.view === (globalThis as any).location.hash);
    return page.evaluate(() =>
        (globalThis as any).hyperprov.cy.nodes().map((n: any) => ({ id: n.id(), kind: n.data('kind'), x: n.renderedPosition('x'), y: n.renderedPosition('y') })),
    );
}

describe('the web page', () => {
    it('without a token says how to get one', async () => {
        await page.goto(`${server.url}/`);
        await page.waitForSelector('.error');
        expect(await page.$eval('.error', (e) => e.textContent)).toContain('#token=');
    });

    it('search by key opens the record page with its lineage graph; clicking a node opens that record', async () => {
        await page.goto(`${server.url}/#token=${server.token}`);
        await page.waitForSelector('#q');
        await page.type('#q', 'models/web');
        await page.click('#search button');
        // One match (the key's latest): the page goes straight to it.
        await step('search opens the one match', page.waitForFunction((id) => (globalThis as any).location.hash.startsWith(`#/record/${id}`), {}, ids[2]));
        await page.waitForSelector('h1');
        expect(await page.$eval('h1', (e) => e.textContent)).toBe('models/web');
        await page.$eval('#depth', (e) => ((e as unknown as { value: string }).value = '10'));
        await page.click('#lineage-up');
        await step('depth 10', page.waitForFunction(() => (globalThis as any).location.hash.includes('depth=10')));
        const nodes = await step('graph drawn', graphNodes());
        expect(nodes.map((n) => n.id).sort()).toEqual([...ids, datasets.train, datasets.test].sort());
        expect(nodes.filter((n) => n.kind === 'checkpoint')).toHaveLength(3);
        expect(nodes.filter((n) => n.kind === 'dataset')).toHaveLength(2);
        await page.screenshot({ path: path.join(ARTIFACTS, 'lineage.png'), fullPage: true });

        // A real mouse click where cytoscape drew the first checkpoint. The graph's lower part can
        // be below the fold: bring it into view, let cytoscape take in the new geometry, then ask
        // it where the node is on screen now.
        await page.$eval('#graph', (e) => e.scrollIntoView({ block: 'center' }));
        const target = await page.evaluate(async (id) => {
            const cy = (globalThis as any).hyperprov.cy;
            cy.resize();
            await new Promise((resolve) => (globalThis as any).requestAnimationFrame(() => (globalThis as any).requestAnimationFrame(resolve)));
            const box = cy.container().getBoundingClientRect();
            const node = cy.getElementById(id);
            return { x: box.left + node.renderedPosition('x'), y: box.top + node.renderedPosition('y') };
        }, ids[0]);
        await page.mouse.click(target.x, target.y);
        await step('the click opens the node', page.waitForFunction((id) => (globalThis as any).location.hash.startsWith(`#/record/${id}`), {}, ids[0]));
        await step('its record shows', page.waitForFunction((id) => (globalThis as any).document.querySelector('table td')?.textContent === id, {}, ids[0]));

        await page.click('#verify');
        await step('verify answers', page.waitForFunction(() => (globalThis as any).document.getElementById('verify-result')?.textContent?.includes('match')));
        expect(await page.$eval('#verify-result', (e) => e.className)).toBe('ok');
    });

    it('the runs page lists the run and plots its metrics per epoch', async () => {
        await page.goto(`${server.url}/#/runs`);
        await page.waitForSelector('table.runs a');
        await page.click('table.runs a');
        await page.waitForSelector('svg.plot polyline');
        const metrics = await page.$$eval('svg.plot polyline', (lines) => lines.map((l) => [l.getAttribute('data-metric'), l.getAttribute('points')?.split(' ').length]));
        expect(metrics).toEqual([
            ['acc', 3],
            ['loss', 3],
        ]);
        expect(await page.$$eval('table.epochs tr', (rows) => rows.length)).toBe(4);
        await page.screenshot({ path: path.join(ARTIFACTS, 'run.png') });
    });

    it('the Mermaid export renders with Mermaid itself, one node per record', async () => {
        const response = await fetch(`${server.url}/v1/export/${ids[2]}?format=mermaid`, { headers: { authorization: `Bearer ${server.token}` } });
        const text = await response.text();
        const blank = await browser.newPage();
        try {
            await blank.addScriptTag({ path: createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js') });
            const svg = await blank.evaluate(async (source) => {
                const mermaid = (globalThis as any).mermaid;
                mermaid.initialize({ startOnLoad: false });
                return (await mermaid.render('lineage', source)).svg as string;
            }, text);
            expect(svg).toContain('<svg');
            expect(svg.match(/class="node /g)).toHaveLength(5);
            expect(svg).toContain('datasets/train');
        } finally {
            await blank.close();
        }
    });

    it('shows a 500-node lineage graph (target: within 1 s of opening the page)', async () => {
        // A chain of 499 records on one dataset record, through the set route (metadata only).
        const sha = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;
        let previous = (await post('/v1/records', { key: 'big/data', checksum: sha('d'), size: 1, location: 'file:///x', pointer: 'd', meta: { kind: 'hyperprov.dataset-manifest' } })).id;
        for (let i = 1; i < 500; i++) {
            previous = (await post('/v1/records', { key: `big/step${String(i).padStart(3, '0')}`, checksum: sha(`s${i}`), size: 1, location: 'file:///x', pointer: `s${i}`, type: 'transformation', dependencies: [previous] })).id;
        }
        const started = Date.now();
        await page.goto(`${server.url}/#/record/${previous}?direction=up&depth=1000`);
        const nodes = await graphNodes();
        const shownMs = Date.now() - started;
        const drawnMs = await page.evaluate(() => (globalThis as any).hyperprov.drawnMs);
        expect(nodes).toHaveLength(500);
        await page.screenshot({ path: path.join(ARTIFACTS, 'lineage-500.png') });
        console.log(`500-node lineage graph: shown ${shownMs} ms after navigation (layout and draw ${Math.round(drawnMs)} ms)`);
        expect(shownMs).toBeGreaterThan(0);
    });
});
