/** `GET /v1/health`: the server answers, for whom and which project. */
export const healthResponseSchema = {
    type: 'object',
    required: ['ok', 'pid', 'projectDir', 'version'],
    additionalProperties: false,
    properties: {
        ok: { type: 'boolean', const: true },
        pid: { type: 'integer' },
        projectDir: { type: 'string' },
        version: { type: 'string' },
    },
} as const;

export const healthRoute = {
    response: { 200: healthResponseSchema },
} as const;
