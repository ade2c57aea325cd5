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
