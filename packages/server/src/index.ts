/**
 * @hyperprov/server: the project server behind `hyperprov serve`. {@link startServer} opens the
 * project's tracker and serves it over HTTP on loopback, with a bearer token in
 * `.hyperprov/server.json`. Talk to it with `@hyperprov/server/client`, which does not load this
 * entry (nor fastify).
 */
export { startServer, isLoopback, SERVER_VERSION, type StartServerOptions, type ProjectServer } from './server.js';
export type { CliRunner, CliInvocation, CliOutcome } from './routes/cli.js';
export { httpError } from './http-errors.js';
export * as schemas from './schemas/index.js';
