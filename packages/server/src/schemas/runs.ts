/** `GET /v1/runs` and `GET /v1/runs/:id`: the contract's runs index, one page at a time. */
import { errorResponses, jsonObjectSchema, pageQuerySchema } from './common.js';

export const runSummarySchema = {
    $id: 'RunSummary',
    type: 'object',
    required: ['run', 'keys', 'epochs', 'first', 'last', 'lastRecordId'],
    additionalProperties: false,
    properties: {
        run: { type: 'string' },
        keys: { type: 'array', items: { type: 'string' } },
        epochs: { type: 'integer', minimum: 0 },
        first: { type: 'string' },
        last: { type: 'string' },
        lastRecordId: { type: 'string' },
        lastEpoch: { type: 'integer' },
        lastMetrics: jsonObjectSchema,
    },
} as const;

/** A page as the tracker returns it: items and the bookmark of the next page ('' at the end). */
function pageSchema(items: object) {
    return {
        type: 'object',
        required: ['items', 'bookmark'],
        additionalProperties: false,
        properties: { items: { type: 'array', items }, bookmark: { type: 'string' } },
    } as const;
}

export const runsRoute = {
    querystring: pageQuerySchema,
    response: { 200: pageSchema({ $ref: 'RunSummary#' }), ...errorResponses },
} as const;

export const runRoute = {
    params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } },
    querystring: pageQuerySchema,
    response: {
        200: {
            type: 'object',
            required: ['summary', 'records'],
            additionalProperties: false,
            properties: { summary: { $ref: 'RunSummary#' }, records: pageSchema({ $ref: 'ProvenanceRecord#' }) },
        },
        ...errorResponses,
    },
} as const;

export const runsSharedSchemas = [runSummarySchema] as const;
