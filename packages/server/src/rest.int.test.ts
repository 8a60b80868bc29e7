/**
 * The REST API on a real project (embedded ledger, local store, outbox) over real HTTP: the 2019
 * operations, lineage, files in and out, search, verify, reproduce, diff and export; the OpenAPI
 * document validated by a third-party validator (@seriousme/openapi-schema-validator), and every
 * response this test receives checked against the document's schema for its route and status;
 * bad input answered with JSON errors.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { initTracker } from '@hyperprov/tracker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ProjectServer } from './index.js';

let dir: string;
let server: ProjectServer;
let openapi: any;
const checked: string[] = [];
const sha = (bytes: string | Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Validates a response body against the OpenAPI document's schema for this route and status. */
function conform(method: string, route: string, status: number, body: unknown): void {
    const operation = openapi.paths[route]?.[method.toLowerCase()];
    expect(operation, `${method} ${route} is in the OpenAPI document`).toBeDefined();
    const response = operation.responses[String(status)];
    expect(response, `${method} ${route} documents status ${status}`).toBeDefined();
    const schema = response.content?.['application/json']?.schema;
    if (schema === undefined) return;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
    ajv.addSchema({ $id: 'doc', components: openapi.components });
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
    expect(validate(body), `${method} ${route} ${status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    checked.push(`${method} ${route} ${status}`);
}

async function call(method: string, url: string, options: { route?: string; body?: unknown; raw?: Buffer; type?: string; token?: string | null } = {}): Promise<{ status: number; body: any; text: string; headers: Headers }> {
    const headers: Record<string, string> = {};
    if (options.token !== null) headers.authorization = `Bearer ${options.token ?? server.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.type) headers['content-type'] = options.type;
    const response = await fetch(`${server.url}${url}`, {
        method,
        headers,
        ...(options.body !== undefined && { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
        ...(options.raw !== undefined && { body: options.raw, duplex: 'half' }),
    } as RequestInit);
    const text = await response.text();
    let body: unknown;
    try {
        body = JSON.parse(text);
    } catch {
        body = undefined;
    }
    if (options.route && response.headers.get('content-type')?.startsWith('application/json')) conform(method, options.route, response.status, body);
    return { status: response.status, body, text, headers: response.headers };
}

beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hyperprov-rest-'));
    await initTracker({ dir, durability: 'none' });
    await mkdir(path.join(dir, 'train'));
    for (const name of ['a.csv', 'b.csv']) await writeFile(path.join(dir, 'train', name), `rows of ${name}`);
    server = await startServer({ projectDir: dir });
    openapi = await (await fetch(`${server.url}/openapi.json`, { headers: { authorization: `Bearer ${server.token}` } })).json();
}, 120_000);

afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
});

describe('REST API', () => {
    it('serves an OpenAPI 3.1 document that a third-party validator accepts, naming every route', async () => {
        expect(openapi.openapi).toBe('3.1.0');
        const result = await new Validator().validate(openapi);
        expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
        expect(result.valid).toBe(true);
        for (const route of ['/v1/records', '/v1/records/{id}', '/v1/latest', '/v1/history', '/v1/range', '/v1/lineage/{id}', '/v1/files', '/v1/records/{id}/content', '/v1/search', '/v1/verify', '/v1/reproduce', '/v1/diff', '/v1/export/{id}', '/v1/epoch', '/v1/runs', '/v1/runs/{id}']) {
            expect(openapi.paths[route], route).toBeDefined();
        }
        expect(openapi.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    });

    it('stores a file streamed as the body, gets it back checked, and answers get, getfromid, history, range, search', async () => {
        const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
        const stored = await call('POST', `/v1/files?key=models%2Fupload&meta=${encodeURIComponent('{"epoch":1}')}`, { route: '/v1/files', raw: bytes, type: 'application/octet-stream' });
        expect(stored.status, stored.text).toBe(201);
        expect(stored.body).toMatchObject({ key: 'models/upload', checksum: sha(bytes), size: bytes.length, meta: { epoch: 1 } });
        const content = await fetch(`${server.url}/v1/records/${stored.body.id}/content`, { headers: { authorization: `Bearer ${server.token}` } });
        expect(content.status).toBe(200);
        expect(content.headers.get('etag')).toBe(`"${sha(bytes)}"`);
        expect(Buffer.from(await content.arrayBuffer()).equals(bytes)).toBe(true);

        const second = await call('POST', `/v1/files?key=models%2Fupload&dependency=${stored.body.id}&type=transformation`, { route: '/v1/files', raw: Buffer.from('v2'), type: 'application/octet-stream' });
        expect(second.body.dependencies).toEqual([stored.body.id]);
        expect((await call('GET', `/v1/records/${stored.body.id}`, { route: '/v1/records/{id}' })).body.id).toBe(stored.body.id);
        expect((await call('GET', '/v1/latest?key=models%2Fupload', { route: '/v1/latest' })).body.id).toBe(second.body.id);
        const page1 = await call('GET', '/v1/history?key=models%2Fupload&pageSize=1', { route: '/v1/history' });
        expect(page1.body.items.map((r: { id: string }) => r.id)).toEqual([second.body.id]);
        const page2 = await call('GET', `/v1/history?key=models%2Fupload&pageSize=1&bookmark=${encodeURIComponent(page1.body.bookmark)}`, { route: '/v1/history' });
        expect(page2.body).toEqual({ items: [expect.objectContaining({ id: stored.body.id })], bookmark: '' });
        const put = await call('POST', '/v1/records', { route: '/v1/records', body: { key: 'external/blob', checksum: sha('x'), size: 1, location: 'https://example.com/store', pointer: 'blob' } });
        expect(put.status).toBe(201);
        const range = await call('GET', '/v1/range?start=&end=&pageSize=1000', { route: '/v1/range' });
        expect(range.body.items.map((r: { key: string }) => r.key)).toEqual(['external/blob', 'models/upload']);
        const byChecksum = await call('GET', `/v1/search?q=${encodeURIComponent(sha(bytes))}`, { route: '/v1/search' });
        expect(byChecksum.body.matches).toEqual([{ how: 'checksum', record: expect.objectContaining({ id: stored.body.id }) }]);
        const byPrefix = await call('GET', '/v1/search?q=models%2F', { route: '/v1/search' });
        expect(byPrefix.body.matches.map((m: { how: string }) => m.how)).toEqual(['prefix']);
        const byId = await call('GET', `/v1/search?q=${stored.body.id}`, { route: '/v1/search' });
        expect(byId.body.matches[0]).toMatchObject({ how: 'id' });
        expect((await call('POST', '/v1/verify', { route: '/v1/verify', body: { target: stored.body.id } })).body.ok).toBe(true);
    });

    it('answers lineage, diff, export and reproduce for epochs posted to the hook', async () => {
        const ids: string[] = [];
        for (let epoch = 0; epoch < 2; epoch++) {
            await writeFile(path.join(dir, 'model.pt'), `weights ${epoch}`);
            if (epoch === 1) await writeFile(path.join(dir, 'train', 'c.csv'), 'new rows');
            const posted = await call('POST', '/v1/epoch', {
                route: '/v1/epoch',
                body: { model: 'model.pt', cwd: dir, epoch, metrics: { loss: 1 - epoch / 2 }, run: 'rest-run', datasets: { train: 'train' }, wait: 'committed', timeoutMs: 60_000 },
            });
            expect(posted.status, posted.text).toBe(200);
            ids.push(posted.body.record.id);
        }
        const up = await call('GET', `/v1/lineage/${ids[1]}?depth=5`, { route: '/v1/lineage/{id}' });
        expect(Object.keys(up.body.records)).toHaveLength(4);
        expect(up.body.edges[ids[1] as string]).toContain(ids[0]);
        const down = await call('GET', `/v1/lineage/${ids[0]}?direction=down`, { route: '/v1/lineage/{id}' });
        expect(Object.keys(down.body.records).sort()).toEqual([ids[0], ids[1]].sort());
        const diff = await call('GET', `/v1/diff?a=${ids[0]}&b=${ids[1]}`, { route: '/v1/diff' });
        expect(diff.body.metrics.changed.loss).toEqual({ a: 1, b: 0.5 });
        expect(diff.body.datasets[0]).toMatchObject({ name: 'train', status: 'changed', files: { added: ['c.csv'] } });
        const prov = await call('GET', `/v1/export/${ids[1]}?format=prov-json`);
        expect(prov.headers.get('content-type')).toMatch(/^application\/json/);
        expect(Object.keys(prov.body.entity)).toHaveLength(4);
        const mermaid = await call('GET', `/v1/export/${ids[1]}?format=mermaid`);
        expect(mermaid.headers.get('content-type')).toMatch(/^text\/vnd\.mermaid/);
        expect(mermaid.text).toMatch(/^flowchart LR/);
        const reproduced = await call('POST', '/v1/reproduce', { route: '/v1/reproduce', body: { run: 'rest-run', epoch: 0, dir: 'repro' } });
        expect(reproduced.status, reproduced.text).toBe(200);
        expect(await readFile(path.join(dir, 'repro', reproduced.body.model.path), 'utf8')).toBe('weights 0');
    });

    it('answers bad input with JSON errors and their codes: unknown ids, malformed JSON, oversize bodies, unknown fields, missing token', async () => {
        const unknown = await call('GET', `/v1/records/${'f'.repeat(64)}`, { route: '/v1/records/{id}' });
        expect(unknown.status).toBe(404);
        expect(unknown.body.error).toMatchObject({ code: 'NOT_FOUND', hint: expect.any(String) });
        const malformed = await call('POST', '/v1/records', { route: '/v1/records', body: '{"key": ' });
        expect(malformed.status).toBe(400);
        expect(malformed.body.error.code).toBe('INVALID_ARGUMENT');
        const oversize = await call('POST', '/v1/verify', { body: JSON.stringify({ target: 'x'.repeat(2 * 1024 * 1024) }) });
        expect(oversize.status).toBe(413);
        expect(oversize.body.error.code).toBe('INVALID_ARGUMENT');
        const extra = await call('POST', '/v1/records', { route: '/v1/records', body: { key: 'k', checksum: sha('k'), location: 'file:///x', pointer: 'p', size: 1, owner: 'me' } });
        expect(extra.status).toBe(400);
        const badDep = await call('POST', '/v1/records', { route: '/v1/records', body: { key: 'k', checksum: sha('k'), location: 'file:///x', pointer: 'p', size: 1, dependencies: ['0'.repeat(64)] } });
        expect(badDep.status).toBe(422);
        expect(badDep.body.error.code).toBe('DEPENDENCY_NOT_FOUND');
        const badFormat = await call('GET', `/v1/export/x?format=xml`, { route: '/v1/export/{id}' });
        expect(badFormat.status).toBe(400);
        const noToken = await call('GET', '/v1/range', { token: null });
        expect(noToken.status).toBe(401);
        expect(noToken.body.error.message).toContain('server.json');
        const wrongToken = await call('GET', '/openapi.json', { token: 'nope' });
        expect(wrongToken.status).toBe(401);
        expect((await readdir(dir)).filter((name) => name.startsWith('.repro'))).toEqual([]);
    });

    it('serves the web page without the token, and nothing else', async () => {
        const page = await fetch(`${server.url}/`);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<script type="module" src="/app.js">');
        expect((await fetch(`${server.url}/assets/cytoscape.mjs`)).status).toBe(200);
        expect((await fetch(`${server.url}/v1/runs`)).status).toBe(401);
        // Every route this test called had its responses checked against the document.
        expect(new Set(checked.map((c) => c.split(' ').slice(0, 2).join(' '))).size).toBeGreaterThanOrEqual(12);
    });
});
