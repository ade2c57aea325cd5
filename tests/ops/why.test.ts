/**
 * `aics task status ID --why` through the real binary, next to a running desk whose agent keeps the chat log: each
 * recent message with why it did not fire the task. And the reasons that need a history (not armed, expired), on
 * the pure explanation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { explainNotFired, parseTaskPayload, type WhyMessage } from '../../src/tasks/index.js';
import { aics, json } from '../support/cli.js';
import { SEED, until } from '../support/daemon.js';
import { startDesk, type Desk } from '../support/desk.js';

const desks: Desk[] = [];
afterEach(async () => {
  for (const d of desks.splice(0)) await d.stop();
});

describe('task status --why', () => {
  it("lists the customer's messages, and other customers' that said the keyword, each with its reason", async () => {
    const d = await startDesk({ agent: {} });
    desks.push(d);
    const logged = (from: string, n: number) =>
      until(
        async () => (await d.store.agent.log(from)).filter((m) => m.role === 'customer').length >= n,
        15_000,
        `${n} messages of ${from} logged`,
      );
    d.sim.pushMessage({ from_id: 'customer_123', from_name: '小明', content: '好的' });
    await logged('customer_123', 1);
    await d.receive({ ...SEED.receive, trigger: { ...SEED.receive.trigger, exact_match: true } });
    await d.until('TASK_20260227_001', 'waiting');
    await d.sim.pushMessageAndWaitAck({ from_id: 'customer_999', from_name: '小红', content: '好的' });
    await d.sim.pushMessageAndWaitAck({ from_id: 'customer_123', from_name: '小明', content: '谢谢' });
    await d.sim.pushMessageAndWaitAck({ from_id: 'customer_123', from_name: '小明', content: '好的谢谢！' });
    await logged('customer_123', 3);
    await logged('customer_999', 1);

    const r = await aics(['task', 'status', 'TASK_20260227_001', '--why', '--json', '--db', d.db], { cwd: d.dir });
    expect(r.code, r.stderr).toBe(0);
    const { why, task } = json(r);
    expect(task.status).toBe('waiting');
    expect(why.summary[0]).toBe('waiting for customer customer_123 to say "好的" (exactly, after normalisation)');
    expect(why.messages.map((m: { from_id: string; text: string; verdict: string }) => [m.from_id, m.text, m.verdict])).toEqual([
      ['customer_123', '好的', 'before the task'],
      ['customer_999', '好的', 'another customer'],
      ['customer_123', '谢谢', 'keyword absent'],
      ['customer_123', '好的谢谢！', 'not an exact match'],
    ]);
    expect(why.messages[3].reason).toBe('exact_match: "好的谢谢" is not exactly "好的" after normalisation');

    const text = await aics(['task', 'status', 'TASK_20260227_001', '--why', '--db', d.db], { cwd: d.dir });
    expect(text.stdout).toContain('why: waiting for customer customer_123 to say "好的"');
    expect(text.stdout).toMatch(/another customer \(customer_999\); the task waits for customer_123/);
  }, 120_000);
});

describe('explainNotFired', () => {
  const task = parseTaskPayload({ ...SEED.receive });
  const at = (iso: string) => Date.parse(iso);
  const base = {
    task_id: task.task_id,
    trigger: task.trigger,
    customer_id: 'customer_123',
    acc_id: null,
    created_at: '2026-02-28T01:00:00.000Z',
    completed_at: null,
    expires_at: '2026-03-01T01:00:00.000Z',
    due_at: null,
    target: null,
  };
  const msg = (text: string, iso: string): WhyMessage => ({
    acc_id: '1688000001',
    from_id: 'customer_123',
    from_name: '小明',
    msg_id: `m-${iso}`,
    text,
    at_ms: at(iso),
  });
  const ctx = { nowMs: at('2026-02-28T03:00:00.000Z'), paused: false, formatTime: (ms: number) => new Date(ms).toISOString() };

  it('a matching message while the task was still pending: no daemon with a bridge had armed it', () => {
    const r = explainNotFired(
      { ...base, status: 'pending' },
      [{ at: base.created_at, to_status: 'pending' }],
      [msg('好的', '2026-02-28T02:00:00.000Z')],
      ctx,
    );
    expect(r.summary[0]).toMatch(/^pending: no daemon that can fire it has armed it — start "aics serve" \(not --api-only\)/);
    expect(r.messages[0]).toMatchObject({ verdict: 'task not armed' });
    expect(r.messages[0]!.reason).toMatch(/no daemon with a bridge for account 1688000001 had armed it/);
  });

  it('a message after the task expired cannot fire it; a paused desk is said', () => {
    const events = [
      { at: base.created_at, to_status: 'pending' as const },
      { at: '2026-02-28T01:00:01.000Z', to_status: 'waiting' as const },
      { at: '2026-02-28T02:00:00.000Z', to_status: 'expired' as const },
    ];
    const r = explainNotFired(
      { ...base, status: 'expired', completed_at: '2026-02-28T02:00:00.000Z' },
      events,
      [msg('好的', '2026-02-28T02:30:00.000Z')],
      { ...ctx, paused: true },
    );
    expect(r.summary[0]).toMatch(/^expired at 2026-02-28T02:00:00.000Z/);
    expect(r.messages[0]).toMatchObject({ verdict: 'task already ended', reason: 'arrived after the task was expired' });
  });
});
