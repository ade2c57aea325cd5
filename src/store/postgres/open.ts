/**
 * Opens the PostgreSQL store: a pool on the URL, the schema migrated, one repository per port on that pool.
 * Ports whose PostgreSQL implementation is not built yet are placeholders that fail with a clear message.
 */
import { NotFoundError, SchemaTooNewError } from '../../errors.js';
import { redactUrl } from '../location.js';
import type { OpenStoreOptions, Store } from '../ports/store.js';
import { PgControl } from './control.js';
import { PgDaemonRegistry } from './daemons.js';
import { PgTransfer } from './transfer.js';
import { appliedVersion, migrate, PG_SCHEMA_VERSION } from './migrations.js';
import { openPool, translatePgError, type Pool } from './pool.js';

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
  return {
    file,
    tasks: notBuilt('tasks', file),
    outbox: notBuilt('outbox', file),
    inbound: notBuilt('inbound', file),
    callbacks: notBuilt('callbacks', file),
    agent: notBuilt('agent', file),
    replies: notBuilt('replies', file),
    control: new PgControl(pool, file, clock),
    daemons: new PgDaemonRegistry(pool, file, clock),
    transfer: new PgTransfer(pool, file, clock),
    ops: notBuilt('ops', file),
    // Backup and integrity checks of a server are the server's tools' job (pg_dump, pg_amcheck).
    maintenance: null,
    close: () => pool.end(),
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

/** A port whose PostgreSQL implementation is not built yet: every call fails saying so. */
function notBuilt<T extends object>(port: string, file: string): T {
  return new Proxy({} as T, {
    get(_target, name) {
      if (name === 'file') return file;
      if (name === 'then' || typeof name === 'symbol') return undefined;
      return () => Promise.reject(new Error(`the PostgreSQL store's ${port} port is not built yet (${String(name)})`));
    },
  });
}
