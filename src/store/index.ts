/**
 * The one store library: every query of aics lives below this folder. Outside it, code depends on the ports
 * (./ports) and opens the store with openStore; the SQLite classes stay inside.
 */
export * from './ports/index.js';
export { openStore, ensureDatabaseFolder } from './open-store.js';
export { isStoreUrl, parseStoreLocation, redactUrl, type StoreLocation } from './location.js';
export { DEFAULT_DB_PATH, translateSqliteError } from './connection.js';
export { SCHEMA_VERSION } from './migrations.js';
export { inspectDatabase, type DatabaseInspection } from './sqlite-maintenance.js';
export { databaseFileAt, SQLITE_SIDE_FILES } from './file-identity.js';
