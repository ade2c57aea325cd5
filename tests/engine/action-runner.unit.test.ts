/**
 * The ActionRunner alone on a fake clock: a retryable failure waits its backoff (2 s, then 4 s with this policy)
 * under a new req_id, an in-doubt one repeats the same req_id, a final one fails; the lease is renewed while a send
 * hangs and the renewal stops with it. Real SQLite store in a temp folder; the scripted bridge plays 轻简.
 */
import { describe, expect, it } from 'vitest';
import { LEASE_MS, OWNER, benchesClosedAfterEach, payload } from '../support/engine-bench.js';

const bench = benchesClosedAfterEach();
const clockTask = (id: string, over: Record<string, unknown> = {}) =>
  payload(id, { trigger: { type: 'time_reach', time: '2030-01-01 08:00:00' }, ...over });

/** One scheduler pass and the runs it started: a pass does not wait for its sends, and their outcome commits with the next group. */
async function pass(scheduler: { tick(): Promise<number>; settled(): Promise<void> }) {
  await scheduler.tick();
  await scheduler.settled();
}

async function claimed(b: ReturnType<typeof bench>, id: string) {
  await b.store.tasks.arm(OWNER);
  const task = await b.store.tasks.claim(id, { owner: OWNER, leaseMs: LEASE_MS, reason: 'test' });
  if (!task) throw new Error(`${id} could not be claimed`);
  return task;
}

describe('ActionRunner on a fake clock', () => {
  it('retries a retryable failure after its backoff, under the next req_id, and the scheduler waits for it', async () => {
    const b = bench();
    await b.receive(clockTask('R', { max_retry: 2 }));
    b.bridge.script.push({ error: 'bridge busy' }, { error: 'bridge busy' });
    const runner = b.runner();
    expect(await runner.run(await claimed(b, 'R'))).toBe('retry');
    const first = (await b.store.tasks.get('R'))!;
    expect(first).toMatchObject({ status: 'waiting', retry_count: 1 });
    expect(Date.parse(first.due_at!) - b.clock.nowMs).toBe(2_000);

    const scheduler = b.scheduler({ runner });
    b.clock.advance(1_999);
    await pass(scheduler);
    expect((await b.store.tasks.get('R'))!.retry_count).toBe(1); // not yet
    b.clock.advance(1);
    await pass(scheduler); // second failure: twice the wait
    const second = (await b.store.tasks.get('R'))!;
    expect(second).toMatchObject({ status: 'waiting', retry_count: 2 });
    expect(Date.parse(second.due_at!) - b.clock.nowMs).toBe(4_000);
    b.clock.advance(4_000);
    await pass(scheduler);
    expect(b.bridge.sent.map((s) => s.req_id)).toEqual(['R#3']);
    expect((await b.store.tasks.attempts('R')).map((a) => a.req_id)).toEqual(['R#1', 'R#2', 'R#3']);
    expect((await b.store.tasks.get('R'))!.status).toBe('completed');
  });

  it('repeats an in-doubt send at once under the same req_id; a final error fails the task without a retry', async () => {
    const b = bench();
    await b.receive(clockTask('D'));
    await b.receive(clockTask('F'));
    b.bridge.script.push({ error: 'ack timed out', inDoubt: true });
    const runner = b.runner();
    expect(await runner.run(await claimed(b, 'D'))).toBe('retry');
    expect(Date.parse((await b.store.tasks.get('D'))!.due_at!) - b.clock.nowMs).toBe(2_000); // backoff(0)
    b.clock.advance(2_000);
    expect(await runner.run(await claimed(b, 'D'))).toBe('completed');
    expect((await b.store.tasks.attempts('D')).map((a) => a.req_id)).toEqual(['D#1', 'D#1']);

    b.bridge.script.push({ error: 'no such customer', retryable: false });
    expect(await runner.run(await claimed(b, 'F'))).toBe('failed');
    expect((await b.store.tasks.get('F'))!).toMatchObject({ status: 'failed', retry_count: 0, error_message: 'no such customer' });
  });

  it('renews the lease while a send hangs, and stops renewing when it ends', async () => {
    const b = bench();
    await b.receive(clockTask('L'));
    let release!: () => void;
    b.bridge.hold = new Promise<void>((r) => (release = r));
    const task = await claimed(b, 'L');
    const leaseAt = () => b.store.tasks.get('L').then((t) => Date.parse(t!.lease_expires_at!));
    expect(await leaseAt()).toBe(b.clock.nowMs + LEASE_MS);
    const run = b.runner().run(task);
    await new Promise((r) => setImmediate(r));
    expect(b.timers.active).toBe(1);
    b.clock.advance(LEASE_MS - 1_000);
    b.timers.fire();
    await expect.poll(leaseAt).toBe(b.clock.nowMs + LEASE_MS);
    // Renewed, a scheduler elsewhere does not take it back when the first lease would have lapsed.
    b.clock.advance(2_000);
    expect(await b.store.tasks.recoverLeases('daemon:other:2')).toEqual([]);
    b.bridge.hold = null;
    release();
    expect(await run).toBe('completed');
    expect(b.timers.active).toBe(0);
    expect(b.bridge.sent.map((s) => s.req_id)).toEqual(['L#1']);
  });
});
