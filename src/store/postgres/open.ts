/**
 * Opens the PostgreSQL store: a pool on the URL, the schema migrated, one repository per port on that pool.
 */
import { NotFoundError, SchemaTooNewError } from '../../errors.js';
import { redactUrl } from '../location.js';
import type { OpenStoreOptions, Store } from '../ports/store.js';
import { PgCallbackSink } from './callback-sink.js';
import { PgControl } from './control.js';
import { PgConversations } from './conversations.js';
import { PgDaemonRegistry } from './daemons.js';
import { PgInbound } from './inbound.js';
import { PgOps } from './ops.js';
import { TaskChanges } from './task-changes.js';
import { PgTaskStore } from './task-store.js';
import { PgTransfer } from './transfer.js';
import { appliedVersion, migrate, PG_SCHEMA_VERSION } from './migrations.js';
import { PgOutbox } from './outbox.js';
import { openPool, translatePgError, type Pool } from './pool.js';
import { PgReplyQueue } from './replies.js';

export async function openPostgresStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const file = redactUrl(url);
  const pool = await openPool(url, { size: options.poolSize, readonly: options.readonly });
  try {
    if (options.readonly) await checkSchema(pool, file);
    else await migrate(pool, file);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw translatePgError(error, file);
  }
  const clock = options.clock ?? Date.now;
  // Listens only once asked (a daemon's worker, the engine): a command's open makes no LISTEN connection.
  const changes = new TaskChanges(url);
  const tasks = new PgTaskStore(pool, file, changes, { clock, timeZone: options.timeZone });
  return {
    file,
    tasks,
    outbox: new PgOutbox(pool, file, clock),
    inbound: new PgInbound(pool, file, clock, tasks),
    callbacks: new PgCallbackSink(pool, file, clock),
    agent: new PgConversations(pool, file, clock),
    replies: new PgReplyQueue(pool, file, clock),
    control: new PgControl(pool, file, clock),
    daemons: new PgDaemonRegistry(pool, file, clock),
    transfer: new PgTransfer(pool, file, clock),
    ops: new PgOps(pool, file, clock),
    // Backup and integrity checks of a server are the server's tools' job (pg_dump, pg_amcheck).
    maintenance: null,
    close: async () => {
      await changes.close();
      await pool.end();
    },
  };
}

/** A read-only open changes nothing: the schema must be there already, and not newer than this aics knows. */
async function checkSchema(pool: Pool, file: string): Promise<void> {
  const { rows } = await pool.query<{ t: string | null }>(`SELECT to_regclass('aics_migrations')::text AS t`);
  const version = rows[0]?.t ? await appliedVersion(pool) : 0;
  if (version === 0) {
    throw new NotFoundError(`database ${file} has no aics tables yet (nothing was created): "aics serve" or "aics task add" creates them`);
  }
  if (version > PG_SCHEMA_VERSION) throw new SchemaTooNewError(version, PG_SCHEMA_VERSION, file);
}
