/**
 * The REST routes over the tracker. Handlers are thin: arguments are checked by the route schemas
 * (schemas/rest.ts) and by the tracker, errors become the JSON error document at one boundary
 * (http-errors.ts). File bodies stream: an upload goes to a temporary file and is recorded from
 * there; a download is fetched (and checked) into a temporary file before its first byte is sent.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isValidChecksum, type JsonValue, type ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { TrackerError, isTrackerError } from '@hyperprov/errors';
import type { ExportFormat, ReproduceTarget, Tracker } from '@hyperprov/tracker';
import type { FastifyInstance } from 'fastify';
import {
    diffRoute,
    exportRoute,
    fileContentRoute,
    getRecordRoute,
    historyRoute,
    latestRoute,
    lineageRoute,
    rangeRoute,
    reproduceRoute,
    searchRoute,
    setRecordRoute,
    storeFileRoute,
    verifyRoute,
} from '../schemas/rest.js';

type Page = { pageSize?: number; bookmark?: string };

export function restRoutes(app: FastifyInstance, deps: { tracker: Tracker; stopping: AbortSignal }): void {
    const { tracker } = deps;
    const pageOf = (query: Page) => ({ pageSize: query.pageSize ?? 100, bookmark: query.bookmark ?? '' });

    app.post<{ Body: { key: string; checksum: string; size?: number; location: string; pointer: string; type?: 'record' | 'transformation'; meta?: { [k: string]: JsonValue }; dependencies?: string[] } }>(
        '/v1/records',
        { schema: setRecordRoute },
        async (request, reply) => reply.status(201).send((await tracker.put(request.body)).record),
    );

    app.get<{ Params: { id: string } }>('/v1/records/:id', { schema: getRecordRoute }, async (request) => tracker.show(request.params.id));

    app.get<{ Querystring: { key: string } }>('/v1/latest', { schema: latestRoute }, async (request) => tracker.get(request.query.key));

    app.get<{ Querystring: Page & { key: string } }>('/v1/history', { schema: historyRoute }, async (request) => tracker.history(request.query.key, pageOf(request.query)));

    app.get<{ Querystring: Page & { start: string; end: string } }>('/v1/range', { schema: rangeRoute }, async (request) =>
        tracker.range(request.query.start, request.query.end, pageOf(request.query)),
    );

    app.get<{ Params: { id: string }; Querystring: { direction?: 'up' | 'down'; depth?: number } }>('/v1/lineage/:id', { schema: lineageRoute }, async (request) =>
        tracker.lineage(request.params.id, { direction: request.query.direction ?? 'up', ...(request.query.depth !== undefined && { depth: request.query.depth }) }),
    );

    // The upload's bytes reach the handler as the raw request stream, never buffered whole.
    app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
    app.post<{ Querystring: { key: string; type?: 'record' | 'transformation'; dependency?: string[]; meta?: string } }>(
        '/v1/files',
        { schema: storeFileRoute, bodyLimit: Number.MAX_SAFE_INTEGER },
        async (request, reply) => {
            const meta = parseMeta(request.query.meta);
            const body = request.body as NodeJS.ReadableStream | undefined;
            if (!body || typeof (body as { pipe?: unknown }).pipe !== 'function') {
                throw new TrackerError('INVALID_ARGUMENT', 'send the file as the body with Content-Type: application/octet-stream');
            }
            const dir = await mkdtemp(path.join(tmpdir(), 'hyperprov-upload-'));
            try {
                const file = path.join(dir, 'upload');
                await pipeline(body, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
                const result = await tracker.record(file, {
                    key: request.query.key,
                    ...(request.query.type && { type: request.query.type }),
                    ...(request.query.dependency && { dependencies: request.query.dependency }),
                    ...(meta && { meta }),
                });
                return reply.status(201).send(result.record);
            } finally {
                await rm(dir, { recursive: true, force: true });
            }
        },
    );

    app.get<{ Params: { id: string } }>('/v1/records/:id/content', { schema: fileContentRoute }, async (request, reply) => {
        const dir = await mkdtemp(path.join(tmpdir(), 'hyperprov-download-'));
        const file = path.join(dir, `content-${randomBytes(4).toString('hex')}`);
        let record: ProvenanceRecord;
        try {
            record = (await tracker.fetch(request.params.id, file)).record;
        } catch (error) {
            await rm(dir, { recursive: true, force: true });
            throw error;
        }
        const stream = createReadStream(file);
        const cleanup = (): void => void rm(dir, { recursive: true, force: true });
        stream.once('close', cleanup);
        const hex = record.checksum.slice('sha256:'.length);
        return reply
            .type('application/octet-stream')
            .header('content-length', record.size)
            .header('etag', `"${record.checksum}"`)
            .header('digest', `sha-256=${Buffer.from(hex, 'hex').toString('base64')}`)
            .header('content-disposition', `attachment; filename="${safeFileName(record.key)}"`)
            .send(stream);
    });

    app.get<{ Querystring: { q: string; pageSize?: number; bookmark?: string } }>('/v1/search', { schema: searchRoute }, async (request) => {
        const q = request.query.q.trim();
        const matches: { how: 'id' | 'key' | 'checksum' | 'prefix'; record: ProvenanceRecord }[] = [];
        const seen = new Set<string>();
        const add = (how: (typeof matches)[number]['how'], record: ProvenanceRecord): void => {
            if (seen.has(record.id)) return;
            seen.add(record.id);
            matches.push({ how, record });
        };
        let bookmark = '';
        if (request.query.bookmark === undefined) {
            if (isValidChecksum(q)) for (const record of await tracker.client.getByChecksum(q)) add('checksum', record);
            await tracker.show(q).then((record) => add('id', record), ignoreNotFound);
            await tracker.get(q).then((record) => add('key', record), ignoreNotFound);
        }
        // Keys starting with the text: the range [q, q + U+FFFF) holds exactly those.
        if (!isValidChecksum(q)) {
            const page = await tracker.range(q, `${q}\uffff`, { pageSize: request.query.pageSize ?? 50, bookmark: request.query.bookmark ?? '' }).catch((error: unknown) => {
                if (isTrackerError(error, 'INVALID_ARGUMENT')) return { items: [], bookmark: '' };
                throw error;
            });
            for (const record of page.items) add('prefix', record);
            bookmark = page.bookmark;
        }
        return { query: q, matches, bookmark };
    });

    app.post<{ Body: { target?: string; all?: boolean; ledger?: boolean } }>('/v1/verify', { schema: verifyRoute }, async (request) => {
        const { target, all, ledger } = request.body ?? {};
        return tracker.verify({ ...(target !== undefined && { target }), ...(all !== undefined && { all }), ...(ledger !== undefined && { ledger }) });
    });

    app.post<{ Body: { id?: string; run?: string; epoch?: number; dir: string } }>('/v1/reproduce', { schema: reproduceRoute }, async (request) => {
        const { id, run, epoch, dir } = request.body;
        if ((id === undefined) === (run === undefined)) throw new TrackerError('INVALID_ARGUMENT', 'give either id (a model record id or key) or run (with an optional epoch)');
        if (epoch !== undefined && run === undefined) throw new TrackerError('INVALID_ARGUMENT', 'epoch needs run; to reproduce one record, give its id');
        const target: ReproduceTarget = id !== undefined ? { id } : { run: run as string, ...(epoch !== undefined && { epoch }) };
        return tracker.reproduce(target, path.resolve(tracker.projectDir, dir));
    });

    app.get<{ Querystring: { a: string; b: string } }>('/v1/diff', { schema: diffRoute }, async (request) => tracker.diff(request.query.a, request.query.b));

    app.get<{ Params: { id: string }; Querystring: { format: ExportFormat; direction?: 'up' | 'down'; depth?: number } }>('/v1/export/:id', { schema: exportRoute }, async (request, reply) => {
        const { format, direction, depth } = request.query;
        const result = await tracker.export(request.params.id, { format, direction: direction ?? 'up', ...(depth !== undefined && { depth }) });
        return reply.type(result.contentType).send(result.text);
    });
}

function parseMeta(text: string | undefined): { [key: string]: JsonValue } | undefined {
    if (text === undefined) return undefined;
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        throw new TrackerError('INVALID_ARGUMENT', `meta is not valid JSON (${(error as Error).message}); pass a URL-encoded object such as {"epoch":3}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TrackerError('INVALID_ARGUMENT', 'meta must be a JSON object such as {"epoch":3}');
    return parsed as { [key: string]: JsonValue };
}

function ignoreNotFound(error: unknown): void {
    if (isTrackerError(error, 'NOT_FOUND') || isTrackerError(error, 'INVALID_ARGUMENT')) return;
    throw error;
}

/** The last segment of a key, safe inside a quoted header value. */
function safeFileName(key: string): string {
    return (key.split('/').pop() || 'content').replace(/[^\w.-]/g, '_');
}
