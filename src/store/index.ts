/** The one store library: every query of aics lives below this folder. */
export * from './types.js';
export { SqliteTaskStore, MAX_PAGE_SIZE, type SqliteStoreOptions } from './sqlite-store.js';
export { DEFAULT_DB_PATH, openDatabase, translateSqliteError } from './connection.js';
export { SCHEMA_VERSION } from './migrations.js';
