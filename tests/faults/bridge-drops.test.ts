/**
 * The 轻简 side drops the connection again and again under load: the daemon reconnects, no customer message the
 * bridge delivered is lost, and no send is doubled.
 */
import { afterEach, expect, it } from 'vitest';
import { startDesk, type Desk } from '../support/desk.js';

let desk: Desk | null = null;
afterEach(async () => {
  await desk?.stop();
  desk = null;
});

const N = 300;

it(`every 7th send drops the connection before its ack: ${N} tasks, each delivered once`, async () => {
  desk = await startDesk({ sim: { redeliverMs: 300 } });
  const d = desk;
  for (let i = 0; i < N; i++) {
    await d.receive({
      task_id: `B${i}`,
      customer: { id: `b${i}` },
      trigger: { type: 'specified_customer_reply', customer_id: `b${i}`, keyword: '好的' },
      action: { type: 'send_message', message: `文件 ${i}` },
    });
  }
  await expect.poll(async () => (await d.store.tasks.stats()).by_status.waiting, { timeout: 5000 }).toBe(N);
  d.sim.configure({ dropEvery: 7 });
  for (let i = 0; i < N; i++) {
    d.sim.pushMessage({ from_id: `b${i}`, content: '好的' });
    if (i % 25 === 0) await new Promise((r) => setTimeout(r, 20));
  }
  await expect.poll(async () => (await d.store.tasks.stats()).by_status.completed, { timeout: 45_000, interval: 200 }).toBe(N);
  const counters = d.sim.counters();
  expect(counters.drops).toBeGreaterThan(5);
  const delivered = d.sim.commands.filter((c) => !c.duplicate && c.result.ok);
  expect(delivered).toHaveLength(N);
  expect(new Set(delivered.map((c) => c.data.to_id)).size).toBe(N);
  // Every connection the simulator accepted after the first was a reconnect. (Its drop count can be higher: commands
  // already on a socket it terminated still count, several drops can fall on one connection under load.)
  const reconnects = (await d.daemon.health()).qingjian.reconnects as number;
  expect(reconnects).toBe(d.sim.counters().connections - 1);
  expect(reconnects).toBeGreaterThan(2);
}, 60_000);
