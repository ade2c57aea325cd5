/**
 * The PostgreSQL store's pool (AICS_DB_POOL) and its change notifications: a task received by another daemon on the
 * same database wakes this one's listener, without waiting for a poll.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSettings } from '../../../src/config.js';
import { ValidationError } from '../../../src/errors.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { payload } from '../contract/factory.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../../support/postgres.js';

async function connectionsOf(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'aics'`,
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

describe('AICS_DB_POOL', () => {
  it('names the setting when its value is not a whole number from 1 to 1000', () => {
    expect(resolveSettings({}, {}, '/srv').dbPool).toBe(10);
    expect(resolveSettings({}, { AICS_DB_POOL: '4' }, '/srv').dbPool).toBe(4);
    for (const bad of ['0', 'many', '2.5', '5000']) {
      expect(() => resolveSettings({}, { AICS_DB_POOL: bad }, '/srv')).toThrow(ValidationError);
      expect(() => resolveSettings({}, { AICS_DB_POOL: bad }, '/srv')).toThrow(/^AICS_DB_POOL: /);
    }
  });
});

describe.skipIf(!postgresAvailable())('the PostgreSQL store on a real server', () => {
  let server: PostgresServer;
  const opened: Store[] = [];
  const open = async (url: string, poolSize?: number) => {
    const store = await openStore(url, { poolSize });
    opened.push(store);
    return store;
  };
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    for (const store of opened) await store.close();
    await server?.stop();
  });

  it('keeps at most AICS_DB_POOL connections however many operations run at once', async () => {
    const url = await server.createDatabase();
    const store = await open(url, resolveSettings({}, { AICS_DB_POOL: '3' }, '/srv').dbPool);
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.tasks.receive(payload({ task_id: `P${i}` }), 'api')));
    expect((await store.tasks.list({ pageSize: 100 })).total).toBe(40);
    expect(await connectionsOf(url)).toBe(3);
  });

  it("a task received and armed through another store wakes this one's listener, and the waiting-set token moves", async () => {
    const url = await server.createDatabase();
    const here = await open(url);
    const there = await open(url);
    const token = await here.tasks.waitingSetToken();
    let heard = 0;
    let wake: () => void = () => undefined;
    const woken = () => new Promise<void>((resolve) => (wake = resolve));
    const listening = woken();
    here.tasks.onChange!(() => {
      heard++;
      wake();
    });
    // The listener's first call says it is in place (anything before it is unknown, so it asks to look).
    await listening; // the test's time limit bounds a hang
    const before = heard;
    const received = woken();
    await there.tasks.receive(payload(), 'api');
    await received;
    expect(heard).toBeGreaterThan(before);
    const armed = woken();
    await there.tasks.arm('other daemon');
    await armed;
    expect(await here.tasks.waitingSetToken()).not.toBe(token);
  });
});
