import { HTTP_STATUSES } from '@hyperprov/errors';

/**
 * Shapes shared by several routes, as plain JSON Schema (draft 2020-12 compatible, as OpenAPI 3.1
 * uses it). Every route's schemas live in this folder so one generator can turn exactly what
 * fastify validates into the OpenAPI document.
 */

/** The JSON error document of @hyperprov/errors, the body of every error response. */
export const errorDocumentSchema = {
    $id: 'ErrorDocument',
    type: 'object',
    required: ['error'],
    properties: {
        error: {
            type: 'object',
            required: ['code', 'message', 'hint', 'exitCode'],
            properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                hint: { type: 'string' },
                exitCode: { type: 'integer' },
            },
        },
    },
} as const;

/** Any JSON value (metrics, params, meta). */
export const jsonObjectSchema = { type: 'object', additionalProperties: true } as const;

/** A provenance record as the ledger returns it; its fields are the protocol's (validated there). */
export const recordSchema = {
    $id: 'ProvenanceRecord',
    type: 'object',
    required: ['id', 'key', 'checksum'],
    additionalProperties: true,
    properties: {
        id: { type: 'string' },
        key: { type: 'string' },
        checksum: { type: 'string' },
    },
} as const;

/** `?pageSize&bookmark` of the listing routes. */
export const pageQuerySchema = {
    type: 'object',
    additionalProperties: false,
    properties: {
        pageSize: { type: 'integer', minimum: 1, maximum: 1000 },
        bookmark: { type: 'string' },
    },
} as const;

/**
 * Responses every route can give besides its own: each HTTP status a TrackerError code maps to
 * (@hyperprov/errors), 401 for a missing token, 413/415 for oversize or non-JSON bodies.
 */
export const errorResponses = Object.fromEntries(
    [...new Set([...Object.values(HTTP_STATUSES), 401, 413, 415])].sort((a, b) => a - b).map((status) => [status, { $ref: 'ErrorDocument#' }]),
) as Record<number, { $ref: 'ErrorDocument#' }>;

/** Schemas registered with `addSchema`, referenced by `$id` from the routes. */
export const sharedSchemas = [errorDocumentSchema, recordSchema] as const;
