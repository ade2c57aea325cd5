/**
 * The polite sender (AICS_SEND_RATE, AICS_SEND_RATE_CUSTOMER): sends leave one account at the configured rate, the
 * highest priority first; a "rate limited" ack slows the account down and loses or doubles nothing; one chatty
 * customer does not hold up the others; sends still waiting for their turn at shutdown are put back, not spent.
 *
 * Through the real daemon and the 轻简 simulator; the simulator's arrival times are what the account would show.
 */
import { expect, it } from 'vitest';
import { desksStoppedAfterEach, type Desk } from '../support/desk.js';
import { EVENT_LIMIT_MS } from '../support/limits.js';
import { untilLogLine } from '../support/daemon.js';

const startDesk = desksStoppedAfterEach();

/** Receives `n` time_reach tasks while the desk is paused, so that all are due together when it resumes. */
async function dueTogether(d: Desk, tasks: { id: string; customer: string; priority?: string }[]): Promise<void> {
  await d.store.control.pause('test: receive first', 'test');
  const time = new Date(Date.now() + 1000).toISOString();
  for (const t of tasks) {
    await d.receive({
      task_id: t.id,
      customer: { id: t.customer },
      trigger: { type: 'time_reach', time },
      action: { type: 'send_message', message: `到点了 ${t.id}` },
      ...(t.priority ? { priority: t.priority } : {}),
    });
  }
  await expect
    .poll(async () => (await d.store.tasks.dueTasks(tasks.length + 1)).length, { timeout: EVENT_LIMIT_MS, interval: 100 })
    .toBe(tasks.length);
  await d.store.control.resume();
}

const delivered = (d: Desk) => d.sim.commands.filter((c) => !c.duplicate && c.result.ok);

it('1,000 tasks due on one account go out at AICS_SEND_RATE (±10 %), the high-priority ones first', async () => {
  const RATE = 3000; // a minute: 50 a second, one every 20 ms
  const d = await startDesk({ settings: { sendRate: RATE, sendRateCustomer: 0 } });
  const tasks = Array.from({ length: 1000 }, (_, i) => ({ id: `P${i}`, customer: `c${i}`, priority: i % 10 === 9 ? 'high' : 'normal' }));
  await dueTogether(d, tasks);
  await expect.poll(() => delivered(d).length, { timeout: 120_000, interval: 250 }).toBe(1000);

  const sent = delivered(d);
  expect(new Set(sent.map((c) => c.data.to_id)).size).toBe(1000); // each once
  const high = new Set(tasks.filter((t) => t.priority === 'high').map((t) => t.customer));
  expect(sent.slice(0, high.size).every((c) => high.has(c.data.to_id as string))).toBe(true);
  const perSecond = (sent.length - 1) / ((sent.at(-1)!.at - sent[0]!.at) / 1000);
  expect(perSecond).toBeGreaterThan((RATE / 60) * 0.9);
  expect(perSecond).toBeLessThan((RATE / 60) * 1.1);
}, 180_000);

it('an ack that says the account is rate limited slows it down; the send is repeated once, no retry is spent', async () => {
  const d = await startDesk({
    settings: { sendRate: 600, sendRateCustomer: 0 },
    sim: { failEvery: 4, failCode: 429, failMessage: '发送太频繁，请稍后再试' },
  });
  const tasks = Array.from({ length: 16 }, (_, i) => ({ id: `R${i}`, customer: `r${i}` }));
  // The fourth send is refused as rate limited; once one was, the rest go through.
  await dueTogether(d, tasks);
  await expect.poll(() => d.sim.commands.filter((c) => !c.result.ok).length, { timeout: EVENT_LIMIT_MS, interval: 50 }).toBeGreaterThan(0);
  d.sim.configure({ failEvery: 0 });
  for (const t of tasks) await d.until(t.id, 'completed');

  const sent = delivered(d);
  expect(sent).toHaveLength(16);
  expect(new Set(sent.map((c) => c.data.to_id)).size).toBe(16);
  for (const t of tasks) {
    const task = await d.store.tasks.get(t.id);
    expect(task, t.id).toMatchObject({ status: 'completed', retry_count: 0 });
  }
  // The refused send was repeated with its req_id: nothing was sent, so nothing is doubled.
  const refused = d.sim.commands.find((c) => !c.result.ok)!;
  expect(sent.some((c) => c.req_id === refused.req_id)).toBe(true);
  // Every 100 ms before the refusal, every 200 ms or more after it (the account's pace halved).
  const refusedAt = refused.at;
  const after = sent.filter((c) => c.at > refusedAt).map((c) => c.at);
  const gaps = after.slice(1).map((at, i) => at - after[i]!);
  expect(gaps.length).toBeGreaterThan(5);
  expect(median(gaps)).toBeGreaterThanOrEqual(180);
  expect(await untilLogLine(`${d.dir}/logs/aics.log`, 'is rate limited: its sends slow down 2×')).toContain('"acc_id"');
}, 120_000);

it('one chatty customer waits for their own turns (AICS_SEND_RATE_CUSTOMER) without holding up the others', async () => {
  const d = await startDesk({ settings: { sendRate: 0, sendRateCustomer: 60 } }); // one a second, three back to back
  const tasks = [
    ...Array.from({ length: 5 }, (_, i) => ({ id: `C${i}`, customer: 'chatty' })),
    ...Array.from({ length: 5 }, (_, i) => ({ id: `Q${i}`, customer: `quiet${i}` })),
  ];
  await dueTogether(d, tasks);
  for (const t of tasks) await d.until(t.id, 'completed');
  const sent = delivered(d);
  const chatty = sent.filter((c) => c.data.to_id === 'chatty').map((c) => c.at);
  const quiet = sent.filter((c) => c.data.to_id !== 'chatty').map((c) => c.at);
  expect(chatty).toHaveLength(5);
  // The 4th and 5th waited for the bucket to refill (a second each); the quiet customers did not wait for them.
  expect(chatty[3]! - chatty[0]!).toBeGreaterThanOrEqual(900);
  expect(chatty[4]! - chatty[3]!).toBeGreaterThanOrEqual(900);
  expect(Math.max(...quiet)).toBeLessThan(chatty[3]!);
}, 120_000);

it('sends still waiting for their turn when the daemon stops go back to waiting: no attempt spent, nothing lost', async () => {
  const d = await startDesk({ settings: { sendRate: 60, sendRateCustomer: 0 } }); // one a second
  const tasks = Array.from({ length: 8 }, (_, i) => ({ id: `S${i}`, customer: `s${i}` }));
  await dueTogether(d, tasks);
  await expect.poll(() => delivered(d).length, { timeout: EVENT_LIMIT_MS, interval: 50 }).toBeGreaterThanOrEqual(2);
  // /api/health (and so aics status) shows the pace and what waits for its turn.
  const health = await d.daemon.health();
  expect(health.sending).toMatchObject({ rate_per_account: 60, rate_per_customer: 0 });
  expect(health.sending!.waiting).toBeGreaterThan(0);
  expect(health.sending!.waiting_by_account).toEqual({ [d.sim.accId]: health.sending!.waiting });
  await d.daemon.stop('test');
  const after = await Promise.all(tasks.map((t) => d.store.tasks.get(t.id)));
  const completed = after.filter((t) => t?.status === 'completed');
  const waiting = after.filter((t) => t?.status === 'waiting');
  expect(completed.length + waiting.length).toBe(8);
  expect(waiting.length).toBeGreaterThan(0);
  for (const t of waiting) {
    expect(t).toMatchObject({ retry_count: 0 });
    expect(await d.store.tasks.attempts(t!.task_id)).toEqual([]);
  }
  expect(completed.length).toBe(delivered(d).length);
}, 120_000);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
