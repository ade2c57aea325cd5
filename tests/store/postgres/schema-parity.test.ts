/**
 * The PostgreSQL schema keeps up with SQLite's: every column SQLite has, PostgreSQL has too, for every table both
 * have. Both catalogs are read from freshly migrated stores, so a SQLite migration without its PostgreSQL twin fails
 * here rather than in a daemon on a server.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.js';
import { fileTempDir } from '../../support/fixtures.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../../support/postgres.js';

/** Tables only one store has, on purpose: SQLite's FTS/internal tables, each store's migration bookkeeping. */
const sqliteOnly = (name: string) => name.startsWith('sqlite_');

async function sqliteColumns(): Promise<Map<string, Set<string>>> {
  const file = join(fileTempDir(), 'parity.db');
  await (await openStore(file)).close();
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[])
      .map((t) => t.name)
      .filter((name) => !sqliteOnly(name));
    return new Map(
      tables.map((table) => [
        table,
        new Set((db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((c) => c.name)),
      ]),
    );
  } finally {
    db.close();
  }
}

async function postgresColumns(url: string): Promise<Map<string, Set<string>>> {
  await (await openStore(url)).close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const tables = new Map<string, Set<string>>();
    for (const r of rows) tables.set(r.table_name, (tables.get(r.table_name) ?? new Set()).add(r.column_name));
    return tables;
  } finally {
    await client.end();
  }
}

describe.skipIf(!postgresAvailable())('schema parity: SQLite and PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());

  it('PostgreSQL has every table and column the SQLite schema has', async () => {
    const sqlite = await sqliteColumns();
    const postgres = await postgresColumns(await server.createDatabase());
    const missing: string[] = [];
    for (const [table, columns] of sqlite) {
      const there = postgres.get(table);
      if (!there) missing.push(`table ${table}`);
      else for (const column of columns) if (!there.has(column)) missing.push(`${table}.${column}`);
    }
    // Named in the failure: the SQLite migration that added them needs its twin in src/store/postgres/migrations.ts.
    expect(missing).toEqual([]);
    expect(sqlite.get('outbox')).toContain('claimed_by');
  });
});
