/**
 * aics db migrate: SQLite → PostgreSQL → SQLite gives back the same tasks, histories, attempts, callbacks and messages,
 * with per-table counts; a second run copies nothing; a source with a daemon on it is refused (exit 5).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { parseTaskPayload } from '../../src/tasks/index.js';
import { aics, json, tempDir } from '../support/cli.js';
import { SEED } from '../support/fixtures.js';
import { postgresAvailable, startPostgres } from '../support/postgres.js';

const { dir, cleanup } = tempDir('aics-migrate-');
afterAll(cleanup);

/** A store with a little of everything: armed, fired and completed tasks (events, attempts, a callback), messages, a pause. */
async function seeded(file: string): Promise<Store> {
  const store = await openStore(file);
  for (let i = 0; i < 25; i++) {
    await store.tasks.receive(
      parseTaskPayload({ ...SEED.receive, task_id: `M${i}`, customer: { id: `c${i}`, name: '小明', acc_id: 'wx_a' } }),
      'test',
    );
  }
  await store.tasks.arm('test');
  for (let i = 0; i < 5; i++) {
    const target = { acc_id: 'wx_a', from_id: `c${i}`, msg_id: `m${i}` };
    await store.inbound.record({ ...target, from_name: null });
    const run = await store.tasks.claim(`M${i}`, { owner: 'daemon:h:1', leaseMs: 60_000, target });
    await store.tasks.complete(`M${i}`, run!.attempt, { req_id: `r${i}` }, 'daemon:h:1');
  }
  await store.control.pause('盘点', 'cli:test');
  return store;
}

async function snapshot(file: string) {
  const store = await openStore(file);
  try {
    const ids = (await store.tasks.list({ pageSize: 200 })).items.map((t) => t.task_id).sort();
    const tasks = [];
    for (const id of ids) {
      tasks.push({
        task: await store.tasks.get(id),
        events: await store.tasks.events(id),
        attempts: await store.tasks.attempts(id),
        outbox: await store.outbox.list(id),
      });
    }
    return { tasks, paused: await store.control.paused() };
  } finally {
    await store.close();
  }
}

const migrate = (from: string, to: string) => aics(['db', 'migrate', '--from', from, '--to', to, '--json'], { cwd: dir });

describe('aics db migrate', () => {
  it('SQLite → SQLite: the same data, counts per table, and a second run copies nothing', async () => {
    const source = join(dir, 'a/tasks.db');
    await (await seeded(source)).close();
    const first = await migrate(source, join(dir, 'b/tasks.db'));
    expect(first.code, first.stderr).toBe(0);
    const report = json(first);
    expect(report.ok).toBe(true);
    expect(report.tables.find((t: { table: string }) => t.table === 'tasks')).toMatchObject({ source: 25, copied: 25, target: 25 });
    expect(report.tables.find((t: { table: string }) => t.table === 'task_attempts')).toMatchObject({ source: 5, target: 5 });
    const again = json(await migrate(source, join(dir, 'b/tasks.db')));
    expect(again.ok).toBe(true);
    expect(again.tables.every((t: { copied: number }) => t.copied === 0)).toBe(true);
    expect(await snapshot(join(dir, 'b/tasks.db'))).toEqual(await snapshot(source));
  });

  it('refuses a source a daemon is running on (exit 5, naming it)', async () => {
    const source = join(dir, 'busy/tasks.db');
    const store = await seeded(source);
    await store.daemons.heartbeat({
      id: 'daemon:pc1:4242',
      host: 'pc1',
      pid: 4242,
      accounts: ['wx_a'],
      api_url: 'http://pc1:6060',
      version: '1',
      started_at: new Date().toISOString(),
      heartbeat_at: Date.now(),
    });
    await store.close();
    const run = await migrate(source, join(dir, 'busy-copy.db'));
    expect(run.code).toBe(5);
    expect(json(run).error.message).toMatch(/a daemon is running on .*daemon:pc1:4242 at http:\/\/pc1:6060/);
  });

  it.skipIf(!postgresAvailable())('SQLite → PostgreSQL → SQLite round trip: the same data back, idempotent', async () => {
    const pg = await startPostgres();
    try {
      const url = await pg.createDatabase();
      const source = join(dir, 'pg-src/tasks.db');
      await (await seeded(source)).close();
      const there = await migrate(source, url);
      expect(there.code, there.stderr).toBe(0);
      expect(json(there).tables.find((t: { table: string }) => t.table === 'task_events')).toMatchObject({ ok: true });
      const twice = json(await migrate(source, url));
      expect(twice.tables.every((t: { copied: number; ok: boolean }) => t.copied === 0 && t.ok)).toBe(true);
      const back = join(dir, 'pg-back/tasks.db');
      const home = await migrate(url, back);
      expect(home.code, home.stderr).toBe(0);
      expect(json(home).ok).toBe(true);
      expect(await snapshot(back)).toEqual(await snapshot(source));
    } finally {
      await pg.stop();
    }
  });
});
