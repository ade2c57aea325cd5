/**
 * The one place that picks and opens the store's implementation from --db / AICS_DB's value: a SQLite file (every
 * repository on one connection) or a PostgreSQL URL (every repository on one pool).
 */
import { SqliteAgentStore } from './agent.js';
import { SqliteReplyQueue } from './agent-replies.js';
import { SqliteCallbackSink } from './callback-sink.js';
import { ensureDatabaseFolder as ensureFolderOf, openDatabase } from './connection.js';
import { SqliteControl } from './control.js';
import { SqliteDaemonRegistry } from './daemons.js';
import { SqliteInbound } from './inbound.js';
import { parseStoreLocation } from './location.js';
import { SqliteOps } from './ops.js';
import { SqliteOutbox } from './outbox.js';
import type { OpenStoreOptions, Store } from './ports/store.js';
import { SqliteMaintenance } from './sqlite-maintenance.js';
import { SqliteTaskStore } from './sqlite-store.js';
import { SqliteTransfer } from './sqlite-transfer.js';

/** Opens the store at `location`: a path, a `file:`/`sqlite:` URL, or a `postgres://` URL. */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  const where = parseStoreLocation(location);
  if (where.kind === 'postgres') {
    // Loaded only for a PostgreSQL URL: the pg driver costs every SQLite command's start nothing.
    const { openPostgresStore } = await import('./postgres/open.js');
    return openPostgresStore(where.url, options);
  }
  return openSqliteStore(where.file, options);
}

/** The SQLite store on one file, opened synchronously (SQLite-specific tests and tools). */
export function openSqliteStore(file: string, options: OpenStoreOptions = {}): Store {
  const db = openDatabase(file, options);
  const tasks = new SqliteTaskStore(db, file, options);
  const clock = options.clock ?? Date.now;
  return {
    file: tasks.file,
    tasks,
    outbox: new SqliteOutbox(db, tasks.file, clock),
    inbound: new SqliteInbound(db, tasks.file, clock, tasks),
    callbacks: new SqliteCallbackSink(db, tasks.file, clock),
    agent: new SqliteAgentStore(db, tasks.file, clock),
    replies: new SqliteReplyQueue(db, tasks.file, clock),
    control: new SqliteControl(db, tasks.file, clock),
    daemons: new SqliteDaemonRegistry(db, tasks.file, clock),
    transfer: new SqliteTransfer(db, tasks.file, clock),
    ops: new SqliteOps(db, tasks.file, clock),
    maintenance: new SqliteMaintenance(db, tasks.file),
    close: async () => tasks.close(),
  };
}

/** Creates the folder a file store needs before anything else (the pid file) is written beside it; a server needs none. */
export function ensureDatabaseFolder(location: string): void {
  const where = parseStoreLocation(location);
  if (where.kind === 'sqlite') ensureFolderOf(where.file);
}
