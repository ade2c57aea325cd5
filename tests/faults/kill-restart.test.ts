/**
 * SIGKILL the daemon at random moments while customers trigger hundreds of tasks, restart it each time: afterwards
 * every task is in a state its history explains, none was delivered twice, and every terminal task has exactly one
 * delivered callback. Real processes, real sockets, loopback only.
 */
import { afterAll, expect, it } from 'vitest';
import { QingjianSimulator } from '../../src/sim/qingjian-sim.js';
import { openStore } from '../../src/store/index.js';
import { canTransition, parseTaskPayload, type TaskStatus } from '../../src/tasks/index.js';
import { tempDir } from '../support/fixtures.js';
import { startHttpSink } from '../support/http-sink.js';
import { startServe } from '../support/spawn.js';

const N = Number(process.env.AICS_FAULT_TASKS ?? 1000);
const KILLS = 3;
const { dir, cleanup } = tempDir('aics-faults-');
afterAll(cleanup);

/** A small seeded PRNG, so a failing run can be repeated (AICS_FAULT_SEED). */
function prng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

it(`${KILLS} SIGKILLs during ${N} firing tasks: nothing lost, nothing doubled`, async () => {
  const seed = Number(process.env.AICS_FAULT_SEED ?? Date.now() % 100_000);
  const random = prng(seed);
  const sim = await QingjianSimulator.start({ port: 0, redeliverMs: 400, ackDelayMs: 20 });
  const sink = await startHttpSink();
  const db = `${dir}/db/tasks.db`;
  const store = await openStore(db);
  const env = { TIANWANG_CALLBACK_URL: sink.url, AICS_QINGJIAN_URL: sim.url };
  const args = ['--port', '0', '--db', db, '--log-file', `${dir}/logs/aics.log`];
  try {
    for (let i = 0; i < N; i++) {
      await store.tasks.receive(
        parseTaskPayload({
          task_id: `F${i}`,
          customer: { id: `c${i}` },
          trigger: { type: 'specified_customer_reply', customer_id: `c${i}`, keyword: '好的' },
          action: { type: 'send_message', message: `第 ${i} 号文件` },
        }),
        'test',
      );
    }
    let daemon = await startServe(args, { cwd: dir, env });
    // Customers write in a steady stream while the daemon is killed and restarted underneath.
    let pushed = 0;
    const pusher = setInterval(() => {
      for (let k = 0; k < 20 && pushed < N; k++) sim.pushMessage({ from_id: `c${pushed++}`, content: '好的谢谢' });
      if (pushed >= N) clearInterval(pusher);
    }, 25);
    for (let kill = 0; kill < KILLS; kill++) {
      await new Promise((r) => setTimeout(r, 150 + random() * 500));
      daemon.child.kill('SIGKILL');
      await daemon.exit;
      daemon = await startServe(args, { cwd: dir, env });
    }
    try {
      await expect
        .poll(async () => (await store.tasks.stats()).by_status.completed, { timeout: 60_000, interval: 250, message: `seed ${seed}` })
        .toBe(N);
      await expect.poll(async () => (await store.outbox.backlog()).count, { timeout: 20_000, message: `seed ${seed}` }).toBe(0);
    } catch (error) {
      const stats = await store.tasks.stats();
      const stuck = (await store.tasks.list({ status: 'waiting', pageSize: 5 })).items.map((t) => t.task_id);
      throw new Error(
        `${(error as Error).message}; by status ${JSON.stringify(stats.by_status)}; waiting e.g. ${stuck}; sim ${JSON.stringify(sim.counters())}`,
      );
    } finally {
      clearInterval(pusher);
      daemon.child.kill('SIGTERM');
      await daemon.exit;
    }

    // None delivered twice: one accepted send per customer, whatever was repeated with the same req_id.
    const delivered = sim.commands.filter((c) => !c.duplicate && c.result.ok);
    let why = `seed ${seed}`;
    if (delivered.length !== N) {
      // Say which customers got two messages, with what req_ids and each task's attempts and history.
      const byTo = new Map<string, string[]>();
      for (const c of delivered) byTo.set(String(c.data.to_id), [...(byTo.get(String(c.data.to_id)) ?? []), c.req_id]);
      for (const [to, ids] of [...byTo].filter(([, ids]) => ids.length > 1).slice(0, 3)) {
        const id = `F${to.slice(1)}`;
        why += `\n${to} ${ids.join(',')} attempts=${JSON.stringify(await store.tasks.attempts(id))} events=${JSON.stringify(await store.tasks.events(id))}`;
      }
    }
    expect(delivered.length, why).toBe(N);
    expect(new Set(delivered.map((c) => c.data.to_id)).size).toBe(N);
    // Every history is a path of allowed transitions ending in completed, with exactly one callback delivered.
    const outbox = new Map<string, number>();
    for (let i = 0; i < N; i++) outbox.set(`F${i}`, 0);
    for (let i = 0; i < N; i++) {
      const events = await store.tasks.events(`F${i}`);
      expect(events[0]!.to_status).toBe('pending');
      for (const e of events.slice(1))
        expect(canTransition(e.from_status as TaskStatus, e.to_status), `F${i}: ${e.from_status}→${e.to_status}`).toBe(true);
      expect(events.at(-1)!.to_status).toBe('completed');
      const callbacks = await store.outbox.list(`F${i}`);
      expect(callbacks.filter((c) => c.delivered_at !== null)).toHaveLength(1);
    }
    expect(new Set(sink.received.map((r) => (r.body as { task_id: string }).task_id)).size).toBe(N);
  } finally {
    store.close();
    await sim.stop();
    await sink.close();
  }
}, 120_000);
