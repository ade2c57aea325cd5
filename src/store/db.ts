/** The SQLite connection type, on its own so that connection.ts and the modules it runs (legacy.ts) need no circle. */
import type Database from 'better-sqlite3';

export type Db = Database.Database;
