/**
 * Every error response is the JSON error document of @hyperprov/errors with the HTTP status its
 * code maps to. Fastify's own errors (bad JSON, failed validation, oversize body, no such route)
 * are translated here, at one boundary.
 */
import { HTTP_STATUSES, TrackerError, errorDocument, toTrackerError } from '@hyperprov/errors';
import type { FastifyError, FastifyInstance } from 'fastify';

/** The code and status for anything a handler or fastify threw. */
export function httpError(error: unknown): { status: number; error: TrackerError } {
    if (error instanceof TrackerError) return { status: HTTP_STATUSES[error.code], error };
    const fastifyError = error as Partial<FastifyError>;
    if (fastifyError.validation) {
        const context = fastifyError.validationContext ?? 'request';
        return { status: 400, error: new TrackerError('INVALID_ARGUMENT', `invalid ${context}: ${fastifyError.message}; the API's schemas say what each route takes`) };
    }
    switch (fastifyError.code) {
        case 'FST_ERR_CTP_INVALID_JSON_BODY':
        case 'FST_ERR_CTP_EMPTY_JSON_BODY':
            return { status: 400, error: new TrackerError('INVALID_ARGUMENT', `the body is not valid JSON (${fastifyError.message}); send one JSON object`) };
        case 'FST_ERR_CTP_BODY_TOO_LARGE':
            return { status: 413, error: new TrackerError('INVALID_ARGUMENT', `${fastifyError.message}; send large inputs as files the server can read (e.g. \`--meta @file.json\`)`) };
        case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
            return { status: 415, error: new TrackerError('INVALID_ARGUMENT', `${fastifyError.message}; send Content-Type: application/json`) };
    }
    if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
        return { status: fastifyError.statusCode, error: new TrackerError('INVALID_ARGUMENT', String(fastifyError.message)) };
    }
    return { status: 500, error: toTrackerError(error) };
}

/** Installs the error and not-found handlers. */
export function installErrorHandlers(app: FastifyInstance): void {
    app.setErrorHandler((error, _request, reply) => {
        const { status, error: trackerError } = httpError(error);
        void reply.status(status).type('application/json').send(errorDocument(trackerError));
    });
    app.setNotFoundHandler((request, reply) => {
        const error = new TrackerError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}; the API's routes are under /v1 (GET /v1/health answers)`);
        void reply.status(404).type('application/json').send(errorDocument(error));
    });
}
