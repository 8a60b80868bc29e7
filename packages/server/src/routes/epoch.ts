import { TrackerError } from '@hyperprov/errors';
import type { EpochHandle, EpochInput, EpochState, EpochResult, PageOptions, Tracker } from '@hyperprov/tracker';
import type { FastifyInstance } from 'fastify';
import { epochRoute, epochStatusRoute, flushRoute } from '../schemas/epoch.js';
import { runRoute, runsRoute } from '../schemas/runs.js';

type Wait = 'queued' | 'snapshotted' | 'committed';

interface EpochBody extends EpochInput {
    wait?: Wait;
    timeoutMs?: number;
}

/** Resolves to `value` when `promise` settles first, to undefined when the time or the server runs out. */
async function waitFor<T>(promise: Promise<T>, timeoutMs: number | undefined, stopping: AbortSignal): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    let onStop: (() => void) | undefined;
    const gaveUp = new Promise<undefined>((resolve) => {
        if (timeoutMs !== undefined) timer = setTimeout(() => resolve(undefined), timeoutMs);
        onStop = () => resolve(undefined);
        stopping.addEventListener('abort', onStop);
    });
    try {
        return await Promise.race([promise, gaveUp]);
    } finally {
        clearTimeout(timer);
        if (onStop) stopping.removeEventListener('abort', onStop);
    }
}

/** `POST /v1/epoch`, `GET /v1/epochs/:entry`, `POST /v1/flush`, `GET /v1/runs`, `GET /v1/runs/:id`. */
export function epochRoutes(app: FastifyInstance, deps: { tracker: Tracker; stopping: AbortSignal }): void {
    const { tracker, stopping } = deps;

    app.post<{ Body: EpochBody }>('/v1/epoch', { schema: epochRoute }, async (request, reply) => {
        const { wait = 'queued', timeoutMs, ...input } = request.body;
        const handle: EpochHandle = await tracker.epoch(input);
        // Nobody else may be listening: a failure is reported through epochStatus, and must not
        // become an unhandled rejection that ends the server.
        handle.snapshotted.catch(() => undefined);
        handle.committed.catch(() => undefined);
        const head = { entry: handle.entry, run: handle.run, key: handle.key };
        if (wait === 'queued') return reply.status(202).send({ ...head, state: 'queued' });
        if (wait === 'snapshotted') {
            if ((await waitFor(handle.snapshotted.then(() => true), timeoutMs, stopping)) === true) return reply.status(202).send({ ...head, state: 'snapshotted' });
        } else {
            const result: EpochResult | undefined = await waitFor(handle.committed, timeoutMs, stopping);
            if (result) {
                const { record, datasets, previous, duplicate } = result;
                return reply.status(200).send({ ...head, state: 'committed', record, datasets, duplicate, ...(previous !== undefined && { previous }) });
            }
        }
        // Not there within the wait: say where it is now.
        const state: EpochState = (await tracker.epochStatus(handle.entry))?.state ?? 'queued';
        return reply.status(202).send({ ...head, state });
    });

    app.get<{ Params: { entry: string } }>('/v1/epochs/:entry', { schema: epochStatusRoute }, async (request) => {
        const status = await tracker.epochStatus(request.params.entry);
        if (!status) throw new TrackerError('NOT_FOUND', `no outbox entry ${JSON.stringify(request.params.entry)}; the entry id is the one POST /v1/epoch returned`);
        return status;
    });

    app.post<{ Body: { timeoutMs?: number } | undefined }>('/v1/flush', {
        schema: flushRoute,
        // A POST without a body (curl -X POST) means the defaults, as `{}` does.
        preValidation: async (request) => {
            if (request.body === undefined || request.body === null) request.body = {};
        },
    }, async (request) => {
        const timeoutMs = request.body?.timeoutMs;
        return tracker.flush(timeoutMs === undefined ? {} : { timeoutMs });
    });

    app.get<{ Querystring: { pageSize?: number; bookmark?: string } }>('/v1/runs', { schema: runsRoute }, async (request) => tracker.runs(pageOptions(request.query)));
    app.get<{ Params: { id: string }; Querystring: { pageSize?: number; bookmark?: string } }>('/v1/runs/:id', { schema: runRoute }, async (request) =>
        tracker.run(request.params.id, pageOptions(request.query)),
    );
}

function pageOptions(query: { pageSize?: number; bookmark?: string }): PageOptions {
    return { ...(query.pageSize !== undefined && { pageSize: query.pageSize }), ...(query.bookmark !== undefined && { bookmark: query.bookmark }) };
}
