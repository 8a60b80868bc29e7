import { errorResponses } from './common.js';

/** `POST /v1/cli`: one CLI invocation, run in the server with its tracker. */
export const cliRequestSchema = {
    type: 'object',
    required: ['args', 'cwd'],
    additionalProperties: false,
    properties: {
        /** The arguments after `hyperprov`. */
        args: { type: 'array', items: { type: 'string' }, maxItems: 10_000 },
        /** The caller's working directory: relative paths and the project are found from it. */
        cwd: { type: 'string', minLength: 1 },
        /** All of the caller's stdin, when an argument reads it (`@-`). */
        stdin: { type: 'string' },
        /** The caller's terminal width, for help text. */
        columns: { type: 'integer', minimum: 1, maximum: 10_000 },
    },
} as const;

export const cliResponseSchema = {
    type: 'object',
    required: ['exitCode', 'stdout', 'stderr'],
    additionalProperties: false,
    properties: {
        exitCode: { type: 'integer' },
        stdout: { type: 'string' },
        stderr: { type: 'string' },
    },
} as const;

export const cliRoute = {
    body: cliRequestSchema,
    response: { 200: cliResponseSchema, ...errorResponses },
} as const;
