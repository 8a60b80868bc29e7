/**
 * The epoch hook over HTTP: the request is the tracker's EpochInput (packages/tracker's
 * epoch-types.ts) plus how long to wait; the responses are its EpochStatus and FlushResult.
 */
import { errorResponses, jsonObjectSchema } from './common.js';

const stateSchema = { type: 'string', enum: ['queued', 'snapshotted', 'committed', 'failed'] } as const;

/** EpochInput, field for field. */
export const epochInputProperties = {
    model: { type: 'string', minLength: 1 },
    key: { type: 'string', minLength: 1 },
    epoch: { type: 'integer', minimum: 0 },
    metrics: jsonObjectSchema,
    params: jsonObjectSchema,
    datasets: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
    run: { type: 'string', minLength: 1 },
    meta: jsonObjectSchema,
    idempotencyKey: { type: 'string', minLength: 1 },
    cwd: { type: 'string', minLength: 1 },
    expect: {
        type: 'object',
        required: ['size', 'mtimeMs'],
        additionalProperties: false,
        properties: { size: { type: 'integer', minimum: 0 }, mtimeMs: { type: 'number' } },
    },
} as const;

export const epochRequestSchema = {
    type: 'object',
    required: ['model'],
    additionalProperties: false,
    properties: {
        ...epochInputProperties,
        /** Answer once the entry is durable (default), its bytes are snapshotted, or it is committed. */
        wait: { type: 'string', enum: ['queued', 'snapshotted', 'committed'], default: 'queued' },
        /** Longest wait for `wait`; when it passes, the answer is 202 with the state reached. */
        timeoutMs: { type: 'integer', minimum: 0, maximum: 86_400_000 },
    },
} as const;

/** 202: accepted, with the state reached so far; 200: committed (waited for), with the result. */
export const epochResponseSchema = {
    type: 'object',
    required: ['entry', 'run', 'key', 'state'],
    additionalProperties: false,
    properties: {
        entry: { type: 'string' },
        run: { type: 'string' },
        key: { type: 'string' },
        state: stateSchema,
        record: { $ref: 'ProvenanceRecord#' },
        datasets: { type: 'object', additionalProperties: { type: 'string' } },
        previous: { type: 'string' },
        duplicate: { type: 'boolean' },
    },
} as const;

export const epochStatusSchema = {
    $id: 'EpochStatus',
    type: 'object',
    required: ['entry', 'run', 'key', 'state', 'attempts'],
    additionalProperties: false,
    properties: {
        entry: { type: 'string' },
        run: { type: 'string' },
        key: { type: 'string' },
        state: stateSchema,
        recordId: { type: 'string' },
        error: { type: 'object', required: ['code', 'message'], additionalProperties: false, properties: { code: { type: 'string' }, message: { type: 'string' } } },
        attempts: { type: 'integer', minimum: 0 },
        retryAt: { type: 'string' },
    },
} as const;

export const epochRoute = {
    body: epochRequestSchema,
    response: { 200: epochResponseSchema, 202: epochResponseSchema, ...errorResponses },
} as const;

export const epochStatusRoute = {
    params: { type: 'object', required: ['entry'], properties: { entry: { type: 'string', minLength: 1 } } },
    response: { 200: { $ref: 'EpochStatus#' }, ...errorResponses },
} as const;

export const flushRequestSchema = {
    type: 'object',
    additionalProperties: false,
    properties: { timeoutMs: { type: 'integer', minimum: 0, maximum: 86_400_000 } },
} as const;

export const flushResponseSchema = {
    type: 'object',
    required: ['done', 'pending', 'failed'],
    additionalProperties: false,
    properties: {
        done: { type: 'boolean' },
        pending: { type: 'array', items: { $ref: 'EpochStatus#' } },
        failed: { type: 'array', items: { $ref: 'EpochStatus#' } },
    },
} as const;

export const flushRoute = {
    // No body at all is the same as `{}`.
    body: flushRequestSchema,
    response: { 200: flushResponseSchema, ...errorResponses },
} as const;

/** Schemas the epoch routes reference by `$id`. */
export const epochSharedSchemas = [epochStatusSchema] as const;
