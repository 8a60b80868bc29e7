/** The web page's static files (from @hyperprov/web), served without the token: they hold no data. */
import { createReadStream } from 'node:fs';
import { webAssets } from '@hyperprov/web';
import type { FastifyInstance } from 'fastify';

export function webPaths(): Set<string> {
    return new Set(webAssets().map((asset) => asset.route));
}

export function webRoutes(app: FastifyInstance): void {
    for (const asset of webAssets()) {
        // Not in the OpenAPI document: these are the page, not the API.
        app.get(asset.route, { schema: { hide: true } as object }, async (_request, reply) =>
            reply.type(asset.contentType).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').send(createReadStream(asset.file)),
        );
    }
}
