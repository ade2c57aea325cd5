/** The PostgreSQL store's schema: created once even when two daemons open an empty database at the same moment. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError, NotFoundError, SchemaTooNewError } from '../../../src/errors.js';
import { openStore } from '../../../src/store/index.js';
import { PG_SCHEMA_VERSION } from '../../../src/store/postgres/migrations.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../../support/postgres.js';

async function sql<R extends pg.QueryResultRow>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(!postgresAvailable())('PostgreSQL store migrations', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());

  it('two stores opening an empty database at once apply each migration once', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([openStore(url), openStore(url), openStore(url)]);
    await Promise.all(stores.map((s) => s.close()));
    const rows = await sql<{ version: number; n: string }>(
      url,
      'SELECT version, COUNT(*) AS n FROM aics_migrations GROUP BY version ORDER BY version',
    );
    expect(rows.map((r) => [r.version, Number(r.n)])).toEqual(Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => [i + 1, 1]));
  });

  it("keeps the SQLite schema's column names, so the seed's recipes read the same columns", async () => {
    const url = await server.createDatabase();
    await (await openStore(url)).close();
    const columns = await sql<{ column_name: string }>(
      url,
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'tasks'`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(
      expect.arrayContaining([
        'task_id',
        'specified_customer_id',
        'trigger_type',
        'trigger_keyword',
        'action_message',
        'status',
        'retry_count',
        'created_at',
        'error_message',
        'result',
      ]),
    );
    const tables = await sql<{ tablename: string }>(url, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
    expect(tables.map((t) => t.tablename)).toEqual(
      expect.arrayContaining([
        'tasks',
        'task_events',
        'task_attempts',
        'outbox',
        'inbound_messages',
        'received_callbacks',
        'chat_messages',
        'conversations',
        'agent_orders',
        'agent_replies',
        'control_flags',
        'daemons',
      ]),
    );
  });

  it('a read-only open changes nothing: an empty database is reported, not created', async () => {
    const url = await server.createDatabase();
    await expect(openStore(url, { readonly: true })).rejects.toThrow(NotFoundError);
    expect(await sql(url, `SELECT 1 FROM pg_tables WHERE schemaname = 'public'`)).toEqual([]);
  });

  it('refuses a database a newer aics migrated, changing nothing', async () => {
    const url = await server.createDatabase();
    await (await openStore(url)).close();
    await sql(url, `INSERT INTO aics_migrations (version, applied_at) VALUES (${PG_SCHEMA_VERSION + 1}, 'later')`);
    await expect(openStore(url)).rejects.toThrow(SchemaTooNewError);
  });

  it('a server that is not there is a database error naming the address without its password', async () => {
    const url = `postgres://aics:secret@127.0.0.1:${server.port + 1}/nowhere`;
    const error = await openStore(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as Error).message).toContain('cannot be reached');
    expect((error as Error).message).not.toContain('secret');
  });
});
