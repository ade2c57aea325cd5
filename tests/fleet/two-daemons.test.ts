/**
 * Several daemons, one database (issue #13): two `aics serve` processes, each with its own 轻简 simulator serving its
 * own WeCom account, receive tasks through both APIs (customer triggers and time tasks for both accounts); one is
 * SIGKILLed while its sends are under way and started again. Afterwards every task fired once, through the account
 * it names (each simulator received only its own account's sends), and every callback reached Tianwang once.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QingjianSimulator } from '../../src/sim/qingjian-sim.js';
import { openStore, type Store } from '../../src/store/index.js';
import { aics, json } from '../support/cli.js';
import { call, tempDir } from '../support/daemon.js';
import { startHttpSink } from '../support/http-sink.js';
import { EVENT_LIMIT_MS } from '../support/limits.js';
import { startServe } from '../support/spawn.js';

const PER_ACCOUNT = 12;
const HEARTBEAT_MS = 300;
const { dir, cleanup } = tempDir('aics-fleet-');
/** What the daemons and the commands share: the heartbeat (how stale is told) and the zone of the time tasks. */
const fleetEnv = { AICS_HEARTBEAT_MS: String(HEARTBEAT_MS), AICS_TZ: 'UTC' };
afterAll(cleanup);

/** "YYYY-MM-DD HH:mm:ss" in UTC (the daemons run with AICS_TZ=UTC). */
const wallClock = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

async function twoDaemons(db: string) {
  const sink = await startHttpSink();
  // Sends ack slowly, so that a kill finds some under way.
  const sims = {
    wx_a: await QingjianSimulator.start({ port: 0, accId: 'wx_a', redeliverMs: 300 }),
    wx_b: await QingjianSimulator.start({ port: 0, accId: 'wx_b', redeliverMs: 300, ackDelayMs: 150 }),
  };
  const serve = (acc: 'wx_a' | 'wx_b') => {
    const home = join(dir, `${acc}-${Date.now()}`);
    mkdirSync(home, { recursive: true });
    const pidFile = join(home, 'aics.pid');
    return startServe(['--port', '0', '--db', db, '--no-agent', '--pid-file', pidFile, '--log-file', join(home, 'aics.log')], {
      cwd: home,
      env: { AICS_QINGJIAN_URL: sims[acc].url, TIANWANG_CALLBACK_URL: sink.url, ...fleetEnv },
    }).then((daemon) => ({ ...daemon, pidFile }));
  };
  return { sink, sims, serve };
}

/** Both daemons listed alive, each with its account, in a daemon's /api/health. */
async function untilFleetSeen(url: string, accounts: string[]) {
  await expect
    .poll(
      async () => {
        const daemons = ((await call(url, 'GET', '/api/health')).body?.data?.daemons ?? []) as { state: string; accounts: string[] }[];
        return daemons
          .filter((d) => d.state === 'alive')
          .flatMap((d) => d.accounts)
          .sort();
      },
      { timeout: EVENT_LIMIT_MS, interval: 100 },
    )
    .toEqual(accounts);
}

function tasksFor(acc: string, dueMs: number) {
  const tasks: Record<string, unknown>[] = [];
  for (let i = 0; i < PER_ACCOUNT; i++) {
    const customer = { id: `${acc}_c${i}`, name: `客户${i}`, acc_id: acc };
    const action = { type: 'send_message', message: `${acc} 第 ${i} 号` };
    tasks.push({
      task_id: `${acc}_reply_${i}`,
      type: 'send_file_after_reply',
      customer,
      trigger: { type: 'specified_customer_reply', customer_id: customer.id, keyword: '好的' },
      action,
    });
    tasks.push({ task_id: `${acc}_time_${i}`, type: 'timed', customer, trigger: { type: 'time_reach', time: wallClock(dueMs) }, action });
  }
  return tasks;
}

/** The store the test reads, or null while its implementation cannot hold tasks yet (the PostgreSQL store being built). */
async function openForTest(location: string): Promise<Store | null> {
  let store: Store | null = null;
  try {
    store = await openStore(location);
    await store.tasks.stats();
    return store;
  } catch (error) {
    await store?.close();
    if (/not built/i.test(String(error))) return null;
    throw error;
  }
}

const backends: { name: string; location: () => Promise<{ db: string; stop: () => Promise<void> } | null> }[] = [
  { name: 'sqlite', location: async () => ({ db: join(dir, 'db/tasks.db'), stop: async () => {} }) },
  {
    name: 'postgres',
    location: async () => {
      const { postgresAvailable, startPostgres } = await import('../support/postgres.js');
      if (!postgresAvailable()) return null;
      const pg = await startPostgres();
      return { db: await pg.createDatabase(), stop: () => pg.stop() };
    },
  },
];

describe.each(backends)('two daemons on one $name database', ({ location }) => {
  it('every task fires once through the account it names, every callback arrives once, across a SIGKILL mid-send', async (ctx) => {
    const where = await location();
    const store = where ? await openForTest(where.db) : null;
    if (!where || !store) {
      await where?.stop();
      ctx.skip();
      return;
    }
    const { sink, sims, serve } = await twoDaemons(where.db);
    const a = await serve('wx_a');
    let b = await serve('wx_b');
    try {
      await untilFleetSeen(a.url, ['wx_a', 'wx_b']);
      const dueMs = Date.now() + 3000;
      const all = [...tasksFor('wx_a', dueMs), ...tasksFor('wx_b', dueMs)];
      // Every other task through the other daemon's API: where a task is received does not decide who sends it.
      for (const [i, task] of all.entries()) {
        const r = await call(i % 2 ? b.url : a.url, 'POST', '/api/task/receive', task);
        expect(r.status, r.text).toBe(200);
      }
      for (let i = 0; i < PER_ACCOUNT; i++) {
        sims.wx_a.pushMessage({ from_id: `wx_a_c${i}`, content: '好的谢谢' });
        sims.wx_b.pushMessage({ from_id: `wx_b_c${i}`, content: '好的谢谢' });
      }
      // B dies while its sends are under way; A takes back its leases but never sends for wx_b; B comes back.
      await expect.poll(() => sims.wx_b.commands.length, { timeout: EVENT_LIMIT_MS, interval: 20 }).toBeGreaterThanOrEqual(3);
      b.child.kill('SIGKILL');
      await b.exit;
      await untilFleetSeen(a.url, ['wx_a']);
      // A task for wx_b due now, received while no daemon serves wx_b: it waits, and says why.
      const late = { ...tasksFor('wx_b', Date.now())[1]!, task_id: 'wx_b_late' };
      expect((await call(a.url, 'POST', '/api/task/receive', late)).status).toBe(200);
      const why = await aics(['task', 'status', 'wx_b_late', '--why', '--db', where.db], { cwd: dir, env: fleetEnv });
      expect(why.stdout).toMatch(
        /waits for a daemon serving account wx_b: none running serves it \(it was served by daemon:\S+ \(stale\)\)/,
      );
      const status = await aics(['status', '--json', '--pid-file', a.pidFile], { cwd: dir, env: fleetEnv });
      expect(status.code, status.stderr).toBe(8); // degraded: a daemon stopped beating
      const listed = json(status).daemons as { state: string; accounts: string[]; self: boolean }[];
      expect(listed.map((d) => [d.accounts, d.state, d.self])).toEqual(
        expect.arrayContaining([
          [['wx_a'], 'alive', true],
          [['wx_b'], 'stale', false],
        ]),
      );
      b = await serve('wx_b');

      all.push(late);
      const total = all.length;
      await expect
        .poll(async () => (await store.tasks.stats()).by_status.completed, { timeout: EVENT_LIMIT_MS, interval: 200 })
        .toBe(total);
      await sink.waitFor(total);
      await expect.poll(async () => (await store.outbox.backlog()).count, { timeout: EVENT_LIMIT_MS, interval: 200 }).toBe(0);

      for (const [acc, sim] of Object.entries(sims)) {
        const sent = sim.commands.filter((c) => !c.duplicate && c.result.ok);
        // Only its own account's sends reached each bridge, and each customer's message went out once.
        expect(new Set(sim.commands.map((c) => c.data.acc_id))).toEqual(new Set([acc]));
        expect(sent).toHaveLength(2 * PER_ACCOUNT + (acc === 'wx_b' ? 1 : 0));
        const perCustomer = new Map<string, number>();
        for (const c of sent) perCustomer.set(String(c.data.to_id), (perCustomer.get(String(c.data.to_id)) ?? 0) + 1);
        // Two tasks per customer; wx_b_c0 also got the task received while wx_b had no daemon.
        const expected = Array.from({ length: PER_ACCOUNT }, (_, n): [string, number] => [
          `${acc}_c${n}`,
          acc === 'wx_b' && n === 0 ? 3 : 2,
        ]);
        expect(new Map([...perCustomer].sort())).toEqual(new Map(expected.sort()));
      }
      const callbackEvents = new Map<string, Set<string>>();
      for (const r of sink.received) {
        const body = r.body as { task_id: string; event_id: string; status: string };
        expect(body.status).toBe('completed');
        callbackEvents.set(body.task_id, (callbackEvents.get(body.task_id) ?? new Set()).add(body.event_id));
      }
      expect(callbackEvents.size).toBe(total);
      expect([...callbackEvents.values()].every((events) => events.size === 1)).toBe(true);
      for (const task of all) expect(await store.outbox.list(String(task.task_id))).toHaveLength(1);
    } finally {
      for (const d of [a, b]) {
        d.child.kill('SIGTERM');
        await d.exit;
      }
      await store.close();
      await Promise.all([sims.wx_a.stop(), sims.wx_b.stop(), sink.close()]);
      await where.stop();
    }
  }, 180_000);
});
