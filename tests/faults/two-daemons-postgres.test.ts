/**
 * Two real `aics serve` processes on one PostgreSQL database, one callback receiver: every callback is delivered
 * once although both daemons deliver the outbox, and a daemon SIGKILLed while it holds outbox claims leaves them to
 * another, which delivers them once their lease ran out.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_MARGIN_MS, DEFAULT_DELIVERY_TIMEOUT_MS, PER_RECEIVER_IN_FLIGHT } from '../../src/daemon/outbox/outbox-sender.js';
import { openStore, type Store } from '../../src/store/index.js';
import { call, task, until } from '../support/daemon.js';
import { tempDir } from '../support/fixtures.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres.js';
import { startServe } from '../support/spawn.js';

const { dir, cleanup } = tempDir('aics-two-daemons-');
let daemons = 0;

/** `aics serve --api-only` on the database, its callbacks going to the sink; its own folder for the pid and log files. */
function serve(db: string, sink: HttpSink) {
  const own = join(dir, `d${++daemons}`);
  return startServe(['--api-only', '--port', '0', '--db', db, '--pid-file', join(own, 'aics.pid'), '--log-file', join(own, 'aics.log')], {
    cwd: dir,
    env: { TIANWANG_CALLBACK_URL: sink.url },
  });
}

const eventIds = (sink: HttpSink) => sink.received.map((r) => String(r.headers['x-aics-event-id']));

describe.skipIf(!postgresAvailable())('two daemons on one PostgreSQL database', () => {
  let server: PostgresServer;
  const stores: Store[] = [];
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    for (const s of stores.splice(0)) await s.close();
    await server?.stop();
    cleanup();
  });

  it('two daemons deliver the outbox together: callbacks of tasks ended on either arrive once each', async () => {
    const db = await server.createDatabase();
    const sink = await startHttpSink();
    const store = await openStore(db);
    stores.push(store);
    const [a, b] = await Promise.all([serve(db, sink), serve(db, sink)]);
    try {
      // While the receiver holds its answers, each daemon fills its in-flight slots: both claim, neither the same item.
      const release = sink.hold();
      const busy = 2 * PER_RECEIVER_IN_FLIGHT;
      for (let i = 0; i < busy; i++) await store.outbox.enqueue('callback', `TASK_TWO_${i}:completed:1`, `TASK_TWO_${i}`, { n: i });
      const claimed = await until(async () => {
        const items = (await Promise.all(Array.from({ length: busy }, (_, i) => store.outbox.list(`TASK_TWO_${i}`)))).flat();
        return items.every((i) => i.claimed_by !== null) ? items : null;
      });
      const owners = [...new Set(claimed.map((i) => i.claimed_by!.split(':').pop()))].sort();
      expect(owners).toEqual([String(a.child.pid), String(b.child.pid)].sort());
      release();
      // Then tasks end on either daemon (cancelled through its API): each writes its callback with the status.
      for (let i = busy; i < 40; i++) {
        const daemon = i % 2 ? b : a;
        expect((await call(daemon.url, 'POST', '/api/task/receive', task(`TASK_TWO_${i}`))).status).toBe(200);
        expect((await call(daemon.url, 'POST', '/api/task/cancel', { task_id: `TASK_TWO_${i}`, reason: 'test' })).status).toBe(200);
      }
      await sink.waitFor(40);
      // Stopped (SIGTERM: deliveries in flight end first), neither can send anything more: the count is final.
      for (const d of [a, b]) d.child.kill('SIGTERM');
      await Promise.all([a.exit, b.exit]);
      const got = eventIds(sink);
      expect(got).toHaveLength(40);
      expect(new Set(got).size).toBe(40);
      expect(got.filter((id) => id.endsWith(':cancelled:0'))).toHaveLength(40 - busy);
      expect((await store.outbox.backlog()).count).toBe(0);
    } finally {
      for (const d of [a, b]) d.child.kill('SIGKILL');
      await sink.close();
    }
  });

  it('a daemon SIGKILLed while holding outbox claims: another delivers them once the lease ran out', async () => {
    const db = await server.createDatabase();
    const sink = await startHttpSink();
    sink.respond = 'hang';
    const store = await openStore(db);
    stores.push(store);
    // Daemon a claims the items and holds them (the receiver hangs). It is killed well within the delivery's deadline,
    // so its claims stand until the lease ends; daemon b, started then, must wait them out.
    const a = await serve(db, sink);
    const running = [a];
    try {
      const ids = ['TASK_HELD_1', 'TASK_HELD_2', 'TASK_HELD_3'];
      for (const id of ids) await store.outbox.enqueue('callback', `${id}:completed:1`, id, { task_id: id, status: 'completed' });
      const held = await until(async () => {
        const items = (await Promise.all(ids.map((id) => store.outbox.list(id)))).flat();
        return items.every((i) => i.claimed_by !== null) ? items : null;
      });
      expect(new Set(held.map((i) => i.claimed_by))).toEqual(new Set([held[0]!.claimed_by]));
      expect(held[0]!.claimed_by).toMatch(new RegExp(`^daemon:.+:${a.child.pid}$`));
      const leaseEnds = new Map(held.map((i) => [i.id, i.claim_expires_at!]));
      for (const end of leaseEnds.values()) expect(end - Date.now()).toBeLessThanOrEqual(DEFAULT_DELIVERY_TIMEOUT_MS + CLAIM_MARGIN_MS);
      a.child.kill('SIGKILL');
      await a.exit;
      sink.respond = 200;
      const b = await serve(db, sink);
      running.push(b);
      await sink.waitFor(ids.length);
      // The receiver answers before the daemon records the delivery.
      const delivered = await until(async () => {
        const items = (await Promise.all(ids.map((id) => store.outbox.list(id)))).flat();
        return items.every((i) => i.delivered_at !== null) ? items : null;
      });
      for (const item of delivered) {
        // Not before the dead daemon's lease ran out: until then, its claims stand.
        expect(Date.parse(item.delivered_at!)).toBeGreaterThanOrEqual(leaseEnds.get(item.id)!);
        expect(item.claimed_by).toBeNull();
      }
      b.child.kill('SIGTERM');
      await b.exit;
      expect(eventIds(sink).sort()).toEqual(ids.map((id) => `${id}:completed:1`).sort());
    } finally {
      for (const d of running) d.child.kill('SIGKILL');
      await sink.close();
    }
  });
});
