import type { FastifyInstance } from 'fastify';
import { healthRoute } from '../schemas/health.js';

/** `GET /v1/health`. */
export function healthRoutes(app: FastifyInstance, info: { projectDir: string; version: string }): void {
    app.get('/v1/health', { schema: healthRoute }, async () => ({ ok: true as const, pid: process.pid, projectDir: info.projectDir, version: info.version }));
}
