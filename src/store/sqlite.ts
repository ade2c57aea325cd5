/**
 * The SQLite implementation's own classes, for SQLite-specific tests and tools (files, WAL, legacy adoption,
 * migrations). Application code never imports this: it depends on the ports and calls openStore.
 */
export { openSqliteStore } from './open-store.js';
export { SqliteTaskStore, type SqliteStoreOptions } from './sqlite-store.js';
export { SqliteMaintenance } from './sqlite-maintenance.js';
export { openDatabase } from './connection.js';
