/**
 * A 轻简 outage fails nothing: the WeCom PC reboots while time_reach tasks fall due. A send that never left is not an
 * attempt; the tasks wait (due as they were) and fire in priority then due-time order when the bridge is back.
 *
 * The outage lasts 90 s, as in the issue: longer than the old budget of 4 attempts × 15 s of waiting for the
 * connection, which ended every one of these tasks `failed` and told Tianwang so.
 */
import { afterEach, expect, it } from 'vitest';
import { QingjianSimulator } from '../../src/sim/qingjian-sim.js';
import { startDesk, type Desk } from '../support/desk.js';

let desk: Desk | null = null;
let back: QingjianSimulator | null = null;
afterEach(async () => {
  await desk?.stop();
  await back?.stop();
  desk = null;
  back = null;
});

const N = 50;
const OUTAGE_MS = 90_000;

it(`a ${OUTAGE_MS / 1000} s 轻简 outage while ${N} time_reach tasks fall due: all complete once, in order, none fails`, async () => {
  desk = await startDesk();
  const d = desk;
  const port = Number(new URL(d.sim.url).port);
  await d.sim.stop();
  const wentAway = Date.now();
  await expect.poll(async () => (await d.daemon.health()).qingjian.connected, { timeout: 10_000 }).toBe(false);

  // Due 2 s to 26 s into the outage, two a second: a normal one received first, then a high one due at the same time.
  const base = wentAway + 2_000;
  const expected: string[] = [];
  for (let i = 0; i < N; i++) {
    const second = Math.floor(i / 2);
    const priority = i % 2 === 0 ? 'normal' : 'high';
    await d.receive({
      task_id: `OUT${i}`,
      customer: { id: `o${i}` },
      trigger: { type: 'time_reach', time: new Date(base + second * 1_000).toISOString() },
      action: { type: 'send_message', message: `到点了 ${i}` },
      priority,
      timeout_hours: 1,
    });
  }
  // When the bridge is back every task is due: the high ones first, in due-time order, then the normal ones.
  for (let s = 0; s < N / 2; s++) expected.push(`o${2 * s + 1}`);
  for (let s = 0; s < N / 2; s++) expected.push(`o${2 * s}`);

  // Every task falls due while the bridge is away, and none is spent: they wait, due as they were.
  await expect.poll(async () => (await d.store.tasks.dueTasks(N + 1)).length, { timeout: 60_000, interval: 250 }).toBe(N);
  // The rest of the outage is the scenario itself (a WeCom PC that takes 90 s to come back), not a wait for an event.
  await new Promise((r) => setTimeout(r, Math.max(0, wentAway + OUTAGE_MS - Date.now())));
  const during = await d.store.tasks.stats();
  expect(during.by_status).toMatchObject({ waiting: N, running: 0, failed: 0, completed: 0 });

  back = await QingjianSimulator.start({ port, redeliverMs: 0 });
  await expect.poll(async () => (await d.store.tasks.stats()).by_status.completed, { timeout: 60_000, interval: 200 }).toBe(N);

  const delivered = back.commands.filter((c) => !c.duplicate && c.result.ok);
  expect(delivered).toHaveLength(N);
  expect(back.commands).toHaveLength(N); // each sent once: no repeat, no second req_id
  expect(delivered.map((c) => c.data.to_id)).toEqual(expected);
  for (const c of delivered) expect(c.req_id).toMatch(/^OUT\d+#1$/);

  // Tianwang hears 50 completions and no failure.
  await d.sink.waitFor(N, 30_000);
  const statuses = d.sink.received.map((r) => r.body as { task_id: string; status: string });
  expect(statuses.filter((s) => s.status === 'failed')).toEqual([]);
  expect(new Set(statuses.filter((s) => s.status === 'completed').map((s) => s.task_id)).size).toBe(N);
  // Not one attempt was spent on the outage.
  const t = await d.store.tasks.get('OUT0');
  expect(t).toMatchObject({ status: 'completed', retry_count: 0, attempt: 1 });
}, 240_000);
