/** Every route's JSON schemas, as registered with fastify (the OpenAPI document is generated from these). */
export * from './common.js';
export * from './health.js';
export * from './cli.js';
export * from './epoch.js';
export * from './runs.js';
export * from './records.js';
