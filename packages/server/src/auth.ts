/**
 * The bearer token: every request, health included, must carry `Authorization: Bearer <token>`
 * from `.hyperprov/server.json` (readable by the project's owner only). Whoever holds it can
 * run any command as the project's identity, so nothing is served without it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { TrackerError, errorDocument } from '@hyperprov/errors';
import type { FastifyInstance } from 'fastify';

/** Compares in constant time: hashing first gives both sides the same length whatever was sent. */
export function tokenMatches(expected: string, header: string | undefined): boolean {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    const given = match?.[1] ?? '';
    const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
    return timingSafeEqual(digest(given), digest(expected)) && given.length > 0;
}

/**
 * Refuses, with 401 and the error document, every request without the right token. `publicPaths`
 * are the web page's static files (GET only): they hold no data, and the page can only send the
 * token once it has loaded (it reads it from the address fragment).
 */
export function installAuth(app: FastifyInstance, token: string, publicPaths: ReadonlySet<string> = new Set()): void {
    app.addHook('onRequest', async (request, reply) => {
        if ((request.method === 'GET' || request.method === 'HEAD') && publicPaths.has(request.url.split('?')[0] as string)) return;
        if (tokenMatches(token, request.headers.authorization)) return;
        const error = new TrackerError(
            'PERMISSION_DENIED',
            request.headers.authorization
                ? 'wrong bearer token for this project server; read the current one from .hyperprov/server.json (a restarted server has a new one)'
                : 'this project server needs `Authorization: Bearer <token>`; the token is in the project\'s .hyperprov/server.json',
        );
        // 401, not PERMISSION_DENIED's 403: the caller has not authenticated at all.
        return reply.status(401).header('www-authenticate', 'Bearer').type('application/json').send(errorDocument(error));
    });
}
