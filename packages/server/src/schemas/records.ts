/** `GET /v1/checksums/:checksum/records`: every record of exactly these bytes (the watcher records identical content once). */
import { errorResponses } from './common.js';

export const recordsByChecksumRoute = {
    params: {
        type: 'object',
        required: ['checksum'],
        properties: { checksum: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' } },
    },
    response: {
        200: { type: 'object', required: ['items'], additionalProperties: false, properties: { items: { type: 'array', items: { $ref: 'ProvenanceRecord#' } } } },
        ...errorResponses,
    },
} as const;
