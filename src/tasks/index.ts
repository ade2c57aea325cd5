/** The task model: schemas, statuses, matching and time parsing. Pure; imports nothing with I/O. */
export * from './schema.js';
export * from './status.js';
export * from './normalize.js';
export * from './match.js';
export * from './time.js';
export * from './ids.js';
export * from './deadlines.js';
export * from './canonical.js';
export * from './file-url.js';
export * from './request-id.js';
export * from './validate.js';
export * from './why.js';
export * from './problem.js';
export * from './warnings.js';
export * from './fields.js';
export * from './triggers/index.js';
export * from './shard.js';
