import { TrackerError } from '@hyperprov/errors';
import type { Tracker } from '@hyperprov/tracker';
import type { FastifyInstance } from 'fastify';
import { LOCAL_COMMANDS, commandWord, runsLocally } from '../client/local-commands.js';
import { cliRoute } from '../schemas/cli.js';

/** One forwarded CLI invocation. */
export interface CliInvocation {
    args: string[];
    cwd: string;
    stdin?: string;
    columns?: number;
    /** Aborted when the HTTP client goes away (its Ctrl-C) or the server stops. */
    signal: AbortSignal;
    /** The server's tracker, shared by every command. */
    tracker: Tracker;
}

/** What a forwarded invocation printed and its exit code. */
export interface CliOutcome {
    exitCode: number;
    stdout: string;
    stderr: string;
}

/**
 * Runs one CLI invocation in-process. The server does not depend on the CLI (the CLI depends on
 * the server, to start it): `hyperprov serve` hands in its own `runCli`.
 */
export type CliRunner = (invocation: CliInvocation) => Promise<CliOutcome>;

interface CliBody {
    args: string[];
    cwd: string;
    stdin?: string;
    columns?: number;
}

/** `POST /v1/cli`. */
export function cliRoutes(app: FastifyInstance, deps: { tracker: Tracker; runCli?: CliRunner; stopping: AbortSignal }): void {
    app.post<{ Body: CliBody }>('/v1/cli', { schema: cliRoute }, async (request, reply) => {
        const { runCli } = deps;
        if (!runCli) {
            throw new TrackerError('INTERNAL', 'this server was started without the CLI (startServer without runCli); start it with `hyperprov serve` to forward commands');
        }
        const { args, cwd, stdin, columns } = request.body;
        if (runsLocally(args)) {
            throw new TrackerError('INVALID_ARGUMENT', `\`hyperprov ${commandWord(args)}\` is not run by the server; run it in your own shell (${[...LOCAL_COMMANDS].join(', ')} always run locally)`);
        }
        const controller = new AbortController();
        // The client hung up before the answer (Ctrl-C in its terminal): abort the command.
        const onClose = (): void => {
            if (!reply.raw.writableFinished) controller.abort(new Error('interrupted'));
        };
        reply.raw.on('close', onClose);
        const onStop = (): void => controller.abort(new Error('interrupted: the project server is stopping'));
        deps.stopping.addEventListener('abort', onStop);
        try {
            return await runCli({ args, cwd, signal: controller.signal, tracker: deps.tracker, ...(stdin !== undefined && { stdin }), ...(columns !== undefined && { columns }) });
        } finally {
            deps.stopping.removeEventListener('abort', onStop);
        }
    });
}
