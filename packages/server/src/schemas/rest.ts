/**
 * The REST surface over the tracker (the 2019 system's operations and the questions of the issue
 * "Answer the questions"): records by id and key, history and ranges a page at a time, lineage up
 * and down, storing and getting a file's bytes, search, verify, reproduce, diff and export.
 * Arguments travel in the path, the query or a JSON body, never in custom headers.
 */
import { errorResponses, jsonObjectSchema, pageQuerySchema } from './common.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 256 } } } as const;
const keyQuery = { type: 'string', minLength: 1, maxLength: 1024 } as const;

function page(items: object) {
    return {
        type: 'object',
        required: ['items', 'bookmark'],
        additionalProperties: false,
        properties: { items: { type: 'array', items }, bookmark: { type: 'string', description: "pass it as ?bookmark= for the next page; '' on the last page" } },
    } as const;
}

/** `POST /v1/records` (set): metadata of bytes already in a store. */
export const setRecordRoute = {
    summary: 'Record an item (set)',
    body: {
        type: 'object',
        required: ['key', 'checksum', 'location', 'pointer'],
        additionalProperties: false,
        properties: {
            key: keyQuery,
            checksum: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
            size: { type: 'integer', minimum: 0, description: 'read from the store when left out' },
            location: { type: 'string', minLength: 1 },
            pointer: { type: 'string', minLength: 1 },
            type: { type: 'string', enum: ['record', 'transformation'] },
            meta: jsonObjectSchema,
            dependencies: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 1024 },
        },
    },
    response: { 201: { $ref: 'ProvenanceRecord#' }, ...errorResponses },
} as const;

/** `GET /v1/records/:id` (getfromid). */
export const getRecordRoute = { summary: 'A record by id (getfromid)', params: idParams, response: { 200: { $ref: 'ProvenanceRecord#' }, ...errorResponses } } as const;

/** `GET /v1/latest?key=` (get). */
export const latestRoute = {
    summary: 'The latest record of a key (get)',
    querystring: { type: 'object', required: ['key'], additionalProperties: false, properties: { key: keyQuery } },
    response: { 200: { $ref: 'ProvenanceRecord#' }, ...errorResponses },
} as const;

/** `GET /v1/history?key=` (getkeyhistory). */
export const historyRoute = {
    summary: "A key's versions, newest first (getkeyhistory)",
    querystring: { ...pageQuerySchema, required: ['key'], properties: { ...pageQuerySchema.properties, key: keyQuery } },
    response: { 200: page({ $ref: 'ProvenanceRecord#' }), ...errorResponses },
} as const;

/** `GET /v1/range?start=&end=` (getbyrange). */
export const rangeRoute = {
    summary: 'Latest records of the keys in [start, end) (getbyrange)',
    querystring: {
        ...pageQuerySchema,
        properties: { ...pageQuerySchema.properties, start: { type: 'string', maxLength: 1024, default: '' }, end: { type: 'string', maxLength: 1024, default: '', description: "'' means to the last key" } },
    },
    response: { 200: page({ $ref: 'ProvenanceRecord#' }), ...errorResponses },
} as const;

/** A lineage DAG of full records. */
export const lineageSchema = {
    $id: 'Lineage',
    type: 'object',
    required: ['root', 'direction', 'records', 'edges', 'truncated'],
    additionalProperties: false,
    properties: {
        root: { type: 'string' },
        direction: { type: 'string', enum: ['up', 'down'] },
        records: { type: 'object', additionalProperties: { $ref: 'ProvenanceRecord#' } },
        edges: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
        truncated: { type: 'array', items: { type: 'string' } },
    },
} as const;

/** `GET /v1/lineage/:id` (getdependencies; `direction=down`: dependents). */
export const lineageRoute = {
    summary: 'Lineage up (what it was made from: getdependencies) or down (what was made from it)',
    params: idParams,
    querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { direction: { type: 'string', enum: ['up', 'down'], default: 'up' }, depth: { type: 'integer', minimum: 0, maximum: 100000 } },
    },
    response: { 200: { $ref: 'Lineage#' }, ...errorResponses },
} as const;

/** `POST /v1/files?key=…` (store a file): the body is the file's bytes. */
export const storeFileRoute = {
    summary: "Store a file's bytes (the body) in the project's store and record them",
    querystring: {
        type: 'object',
        required: ['key'],
        additionalProperties: false,
        properties: {
            key: keyQuery,
            type: { type: 'string', enum: ['record', 'transformation'] },
            dependency: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'repeat for each: ?dependency=a&dependency=b' },
            meta: { type: 'string', description: 'a JSON object, URL-encoded' },
        },
    },
    response: { 201: { $ref: 'ProvenanceRecord#' }, ...errorResponses },
} as const;

/** `GET /v1/records/:id/content` (get a file): the recorded bytes, checked before they are sent. */
export const fileContentRoute = {
    summary: "A record's bytes, checked against its checksum before the first byte is sent",
    params: idParams,
    response: { 200: { type: 'string', format: 'binary', description: 'the bytes; Digest and ETag carry the checksum' }, ...errorResponses },
} as const;

/** `GET /v1/search?q=`. */
export const searchRoute = {
    summary: 'Find records by record id, key, checksum or key prefix',
    querystring: {
        type: 'object',
        required: ['q'],
        additionalProperties: false,
        properties: { q: { type: 'string', minLength: 1, maxLength: 1024 }, pageSize: { type: 'integer', minimum: 1, maximum: 1000, default: 50 }, bookmark: { type: 'string' } },
    },
    response: {
        200: {
            type: 'object',
            required: ['query', 'matches', 'bookmark'],
            additionalProperties: false,
            properties: {
                query: { type: 'string' },
                matches: {
                    type: 'array',
                    items: {
                        type: 'object',
                        required: ['how', 'record'],
                        additionalProperties: false,
                        properties: { how: { type: 'string', enum: ['id', 'key', 'checksum', 'prefix'] }, record: { $ref: 'ProvenanceRecord#' } },
                    },
                },
                bookmark: { type: 'string', description: 'more keys with this prefix: pass it as ?bookmark=' },
            },
        },
        ...errorResponses,
    },
} as const;

/** `POST /v1/verify`. */
export const verifyRoute = {
    summary: 'Re-hash stored bytes against their records and/or check the ledger',
    body: {
        type: 'object',
        additionalProperties: false,
        properties: { target: { type: 'string', minLength: 1, description: 'a key or record id' }, all: { type: 'boolean' }, ledger: { type: 'boolean' } },
    },
    response: { 200: { type: 'object', required: ['ok'], additionalProperties: true, properties: { ok: { type: 'boolean' } } }, ...errorResponses },
} as const;

/** `POST /v1/reproduce`. */
export const reproduceRoute = {
    summary: 'Write a model, its dataset manifests and stored dataset files into a new directory on the server, every byte checked',
    body: {
        type: 'object',
        required: ['dir'],
        additionalProperties: false,
        properties: {
            id: { type: 'string', minLength: 1, description: 'the model: a record id or key' },
            run: { type: 'string', minLength: 1, description: 'or a run: its last checkpoint, or that of epoch' },
            epoch: { type: 'integer', minimum: 0 },
            dir: { type: 'string', minLength: 1, description: 'a new or empty directory (absolute, or relative to the project)' },
        },
    },
    response: { 200: { type: 'object', required: ['schema', 'dir', 'model', 'datasets', 'verified'], additionalProperties: true, properties: { schema: { const: 1 }, dir: { type: 'string' } } }, ...errorResponses },
} as const;

const valueDiff = {
    type: 'object',
    required: ['added', 'removed', 'changed'],
    additionalProperties: false,
    properties: { added: jsonObjectSchema, removed: jsonObjectSchema, changed: jsonObjectSchema },
} as const;

/** `GET /v1/diff?a=&b=`. */
export const diffRoute = {
    summary: 'What changed between two records: bytes, dataset files, params, metrics, code revision, lineage',
    querystring: { type: 'object', required: ['a', 'b'], additionalProperties: false, properties: { a: { type: 'string', minLength: 1 }, b: { type: 'string', minLength: 1 } } },
    response: {
        200: {
            type: 'object',
            required: ['a', 'b', 'sameBytes', 'datasets', 'params', 'metrics', 'code', 'lineage'],
            additionalProperties: false,
            properties: {
                a: jsonObjectSchema,
                b: jsonObjectSchema,
                sameBytes: { type: 'boolean' },
                datasets: { type: 'array', items: jsonObjectSchema },
                params: valueDiff,
                metrics: valueDiff,
                code: jsonObjectSchema,
                lineage: {
                    type: 'object',
                    required: ['onlyA', 'onlyB', 'shared'],
                    additionalProperties: false,
                    properties: { onlyA: { type: 'array', items: { type: 'string' } }, onlyB: { type: 'array', items: { type: 'string' } }, shared: { type: 'integer' } },
                },
            },
        },
        ...errorResponses,
    },
} as const;

/** `GET /v1/export/:id?format=`. */
export const exportRoute = {
    summary: 'The lineage as W3C PROV-JSON, Graphviz DOT, Mermaid or OpenLineage run events (NDJSON)',
    params: idParams,
    querystring: {
        type: 'object',
        required: ['format'],
        additionalProperties: false,
        properties: {
            format: { type: 'string', enum: ['prov-json', 'dot', 'mermaid', 'openlineage'] },
            direction: { type: 'string', enum: ['up', 'down'], default: 'up' },
            depth: { type: 'integer', minimum: 0, maximum: 100000 },
        },
    },
    response: { 200: { type: 'string', description: 'the export, with its media type' }, ...errorResponses },
} as const;

export const restSharedSchemas = [lineageSchema] as const;
