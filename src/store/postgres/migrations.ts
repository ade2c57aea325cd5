/**
 * The PostgreSQL store's schema migrations, numbered and recorded in `aics_migrations` (version, applied_at). They
 * run in one transaction holding a transaction-level advisory lock, so two daemons starting at once on an empty
 * database migrate it once: the second waits for the lock, then finds every version recorded.
 * Never edit a migration that has shipped: add the next one.
 */
import { SchemaTooNewError } from '../../errors.js';
import type { Migration } from '../migrations.js';
import { transaction, type Pool } from './pool.js';
import { SCHEMA_V1 } from './schema-v1.js';

export const PG_MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'every table of the SQLite schema (migration 9), outbox claims, the daemons registry', sql: SCHEMA_V1 },
  {
    version: 2,
    description: 'NOTIFY aics_tasks when a task becomes pending or waiting or its due time changes; the waiting-set counter',
    sql: `
      -- Every daemon on the database LISTENs: a task armed, received or re-timed elsewhere wakes its scheduler at once
      -- and refreshes its any-customer cache. The payload is the new status; PostgreSQL sends one notification per
      -- distinct payload and transaction, so a batch of thousands costs two at most.
      CREATE FUNCTION aics_notify_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('aics_tasks', NEW.status);
        RETURN NULL;
      END $$;
      CREATE TRIGGER tasks_notify_insert AFTER INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION aics_notify_tasks();
      CREATE TRIGGER tasks_notify_update AFTER UPDATE OF status, due_at ON tasks FOR EACH ROW
        WHEN (NEW.status IN ('pending', 'waiting') AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.due_at IS DISTINCT FROM NEW.due_at))
        EXECUTE FUNCTION aics_notify_tasks();

      -- Moves in the same transaction as any statement that makes tasks waiting, so a reader that sees the new value
      -- sees those tasks (a notification arrives later): the engine keeps the any-customer tasks in memory while it
      -- stays the same. Counted once per statement, so a batch of thousands armed is one update of one row.
      CREATE TABLE aics_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
      INSERT INTO aics_counters (name, value) VALUES ('waiting_set', 0);
      CREATE FUNCTION aics_count_waiting() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM changed_new n JOIN changed_old o ON o.task_id = n.task_id
                   WHERE n.status = 'waiting' AND o.status IS DISTINCT FROM 'waiting') THEN
          UPDATE aics_counters SET value = value + 1 WHERE name = 'waiting_set';
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tasks_waiting_set AFTER UPDATE ON tasks REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
        FOR EACH STATEMENT EXECUTE FUNCTION aics_count_waiting();
    `,
  },
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;

/** Any constant shared by every aics process: the key of the advisory lock migrations hold ("aics" in ASCII). */
const MIGRATION_LOCK = 0x61696373;

/** Brings the database's schema up to PG_SCHEMA_VERSION; SchemaTooNewError when a newer aics migrated it. */
export async function migrate(pool: Pool, where: string): Promise<void> {
  await transaction(pool, where, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS aics_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`);
    const current = await appliedVersion(client);
    if (current > PG_SCHEMA_VERSION) throw new SchemaTooNewError(current, PG_SCHEMA_VERSION, where);
    for (const migration of PG_MIGRATIONS) {
      if (migration.version <= current) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO aics_migrations (version, applied_at) VALUES ($1, $2)', [
        migration.version,
        new Date().toISOString(),
      ]);
    }
  });
}

/** The highest migration recorded (0 on an empty database). */
export async function appliedVersion(db: Pick<Pool, 'query'>): Promise<number> {
  const { rows } = await db.query<{ v: number | null }>('SELECT MAX(version) AS v FROM aics_migrations');
  return rows[0]?.v ?? 0;
}
