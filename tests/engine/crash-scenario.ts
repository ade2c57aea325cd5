/**
 * SIGKILL the daemon (a real child process) while actions are in flight and start it again on the same database:
 * no task is lost, none is delivered twice, every task gets its callback. One runner per store (crash.test.ts on
 * SQLite, crash-postgres.test.ts on PostgreSQL) says where the database is.
 */
import { afterAll, expect, it } from 'vitest';
import { QingjianSimulator } from '../../src/sim/qingjian-sim.js';
import { resolve } from 'node:path';
import { isStoreUrl, openStore } from '../../src/store/index.js';
import { call, tempDir } from '../support/daemon.js';
import { startHttpSink } from '../support/http-sink.js';
import { startServe } from '../support/spawn.js';

const N = 40;

/** `database(dir)`: the --db value for a daemon working in `dir`. */
export function crashScenario(store: string, database: (dir: string) => Promise<string>): void {
  const { dir, cleanup } = tempDir('aics-crash-');
  afterAll(cleanup);

  it(`${store}: loses nothing and sends nothing twice across a SIGKILL in the middle of sends`, async () => {
    // Slow acks keep sends in flight when the kill comes; un-acked events are delivered again, as the bridge does.
    const sim = await QingjianSimulator.start({ port: 0, ackDelayMs: 300, redeliverMs: 500 });
    const sink = await startHttpSink();
    const env = { TIANWANG_CALLBACK_URL: sink.url, AICS_QINGJIAN_URL: sim.url };
    const db = await database(dir);
    const args = ['--port', '0', '--db', db, '--log-file', 'logs/aics.log'];
    const first = await startServe(args, { cwd: dir, env });
    const store = await openStore(isStoreUrl(db) ? db : resolve(dir, db));
    try {
      for (let i = 0; i < N; i++) {
        const res = await call(first.url, 'POST', '/api/task/receive', {
          task_id: `K${i}`,
          customer: { id: `c${i}` },
          trigger: { type: 'specified_customer_reply', customer_id: `c${i}`, keyword: '好的' },
          action: { type: 'send_message', message: `文件 ${i}` },
        });
        expect(res.status).toBe(200);
      }
      await sim.waitForClient();
      await expect.poll(async () => (await store.tasks.stats()).by_status.waiting, { timeout: 5000 }).toBe(N);
      for (let i = 0; i < N; i++) sim.pushMessage({ from_id: `c${i}`, content: '好的谢谢' });
      // Kill once some sends are out and others not yet.
      await sim.nextCommands(5, 10_000);
      first.child.kill('SIGKILL');
      await first.exit;
      const running = (await store.tasks.stats()).by_status.running;

      const second = await startServe(args, { cwd: dir, env });
      try {
        await expect.poll(async () => (await store.tasks.stats()).by_status.completed, { timeout: 30_000, interval: 200 }).toBe(N);
        // Every customer received their message exactly once, whatever was in doubt at the kill.
        const delivered = sim.commands.filter((c) => !c.duplicate && c.result.ok);
        expect(delivered).toHaveLength(N);
        expect(new Set(delivered.map((c) => c.data.to_id)).size).toBe(N);
        expect(sim.counters().sends_delivered).toBe(N);
        // Each task completed once, and each has one callback that reached the sink.
        for (let i = 0; i < N; i++) {
          const events = await store.tasks.events(`K${i}`);
          expect(events.filter((e) => e.to_status === 'completed')).toHaveLength(1);
        }
        await expect.poll(async () => (await store.outbox.backlog()).count, { timeout: 15_000 }).toBe(0);
        const callbackIds = new Set(sink.received.map((r) => (r.body as { task_id: string }).task_id));
        expect(callbackIds.size).toBe(N);
        expect(running).toBeGreaterThan(0); // the kill really caught actions in flight
      } finally {
        second.child.kill('SIGTERM');
        expect((await second.exit).code).toBe(0);
      }
    } finally {
      await store.close();
      await sim.stop();
      await sink.close();
    }
  }, 60_000);
}
