import type { Tracker } from '@hyperprov/tracker';
import type { FastifyInstance } from 'fastify';
import { recordsByChecksumRoute } from '../schemas/records.js';

/** `GET /v1/checksums/:checksum/records`. */
export function recordRoutes(app: FastifyInstance, deps: { tracker: Tracker }): void {
    app.get<{ Params: { checksum: string } }>('/v1/checksums/:checksum/records', { schema: recordsByChecksumRoute }, async (request) => ({
        items: await deps.tracker.client.getByChecksum(request.params.checksum),
    }));
}
