/** The HTTP contract shared by the daemon and its clients: envelope, request/response types, the client. */
export * from './envelope.js';
export * from './types.js';
export { AicsClient, ApiError, type ClientOptions } from './client.js';
