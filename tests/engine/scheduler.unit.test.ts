/**
 * The Scheduler alone on a fake clock: due tasks fire by priority, then due time, not before their time; while
 * the bridge is away they wait (no attempt spent) and fire in that order once it is back; a lease that lapses is
 * taken back and the send repeated under the same req_id; two schedulers on one database fire a task once.
 * Real SQLite store in a temp folder; the scripted bridge plays 轻简; passes run by hand (tick()).
 */
import { describe, expect, it } from 'vitest';
import type { Scheduler } from '../../src/daemon/engine/scheduler.js';
import { LEASE_MS, benchesClosedAfterEach, payload } from '../support/engine-bench.js';

const bench = benchesClosedAfterEach();
/** One pass, and the runs it started (a pass claims and starts sends without waiting for them). */
async function pass(scheduler: Scheduler): Promise<number> {
  const next = await scheduler.tick();
  await scheduler.settled();
  return next;
}
const at = (time: string, over: Record<string, unknown> = {}) => ({ trigger: { type: 'time_reach', time }, ...over });

describe('Scheduler on a fake clock', () => {
  it('fires due tasks by priority, then due time, and none before its time', async () => {
    const b = bench();
    await b.receive(payload('LATE', at('2030-01-01 08:30:00', { priority: 'urgent' })));
    await b.receive(payload('EARLY_LOW', at('2030-01-01 08:10:00', { priority: 'low' })));
    await b.receive(payload('EARLY_HIGH', at('2030-01-01 08:10:00', { priority: 'high' })));
    await b.receive(payload('NEXT_DAY', at('2030-01-02 08:00:00', { priority: 'urgent' })));
    const scheduler = b.scheduler({ concurrency: 1 });
    expect(await pass(scheduler)).toBeLessThanOrEqual(1000);
    expect(b.bridge.sent).toHaveLength(0);
    b.clock.advance(9 * 60_000); // 08:09
    await pass(scheduler);
    expect(b.bridge.sent).toHaveLength(0);
    b.clock.advance(60 * 60_000); // 09:09: three are due
    await pass(scheduler);
    expect(b.bridge.sent.map((s) => s.req_id)).toEqual(['LATE#1', 'EARLY_HIGH#1', 'EARLY_LOW#1']);
    expect(b.log.matching(/^任务触发 LATE \(time_reach, 2340 s late\)$/)).toHaveLength(1);
    expect((await b.store.tasks.get('NEXT_DAY'))!.status).toBe('waiting');
  });

  it('says when to wake next: at the earliest due time, at most pollMs away', async () => {
    const b = bench();
    await b.receive(payload('SOON', at('2030-01-01 08:00:00.400')));
    const scheduler = b.scheduler({ pollMs: 1000 });
    expect(await pass(scheduler)).toBe(400);
    b.clock.advance(400);
    expect(await pass(scheduler)).toBe(1000);
    expect(b.bridge.sent).toHaveLength(1);
  });

  it('holds due tasks while the bridge is away (no attempt spent) and fires them in due-time order when it is back', async () => {
    const b = bench();
    await b.receive(payload('A', at('2030-01-01 08:05:00')));
    await b.receive(payload('B', at('2030-01-01 08:01:00')));
    const scheduler = b.scheduler({ concurrency: 1 });
    b.bridge.connected = false;
    b.clock.advance(10 * 60_000);
    await pass(scheduler);
    await pass(scheduler);
    expect(b.bridge.sent).toHaveLength(0);
    expect(b.log.matching(/^轻简 not connected: due tasks wait/)).toHaveLength(1); // once per outage
    for (const id of ['A', 'B']) expect(await b.store.tasks.attempts(id)).toEqual([]);

    // The bridge drops between the check and the send: the send never left, the task is put back, due as it was.
    b.bridge.connected = true;
    b.bridge.script.push({ error: '轻简 is not connected', notSent: true });
    await pass(scheduler);
    const b1 = (await b.store.tasks.get('B'))!;
    expect(b1).toMatchObject({ status: 'waiting', retry_count: 0, due_at: '2030-01-01T00:01:00.000Z' });
    expect(await b.store.tasks.attempts('B')).toEqual([]);
    expect(b.bridge.sent).toEqual([]); // put back: the next pass, not the failed run, tries again
    await pass(scheduler);
    expect(b.bridge.sent.map((s) => s.req_id)).toEqual(['B#1', 'A#1']); // the same req_id: no attempt was spent
    expect(b.log.matching(/^轻简 connected: firing the due tasks/)).toHaveLength(1);
  });

  it('takes back a task whose lease lapsed (its daemon died mid-send) and sends again under the same req_id', async () => {
    const b = bench();
    await b.receive(payload('T', at('2030-01-01 08:00:00')));
    // Another daemon claims it and dies: nobody renews the lease.
    const other = b.openAnother();
    await other.tasks.arm('daemon:gone:1');
    expect(await other.tasks.claim('T', { owner: 'daemon:gone:1', leaseMs: LEASE_MS, reason: 'test' })).not.toBeNull();
    const scheduler = b.scheduler();
    await pass(scheduler);
    expect((await b.store.tasks.get('T'))!.status).toBe('running'); // the lease still holds
    b.clock.advance(LEASE_MS - 1);
    await pass(scheduler);
    expect(b.bridge.sent).toHaveLength(0);
    b.clock.advance(1);
    await pass(scheduler); // recovered (waiting, due now) ...
    await pass(scheduler); // ... and fired
    expect(b.bridge.sent.map((s) => s.req_id)).toEqual(['T#1']);
    expect(b.log.matching(/^任务恢复 T: /)).toHaveLength(1);
    expect((await b.store.tasks.get('T'))!.status).toBe('completed');
  });

  it('two schedulers on one database fire a due task once', async () => {
    const b = bench();
    for (let i = 0; i < 20; i++) await b.receive(payload(`T${i}`, at('2030-01-01 08:00:00')));
    const one = b.scheduler();
    const two = b.scheduler({ store: b.openAnother(), owner: 'daemon:bench:2' });
    await Promise.all([pass(one), pass(two)]);
    await Promise.all([pass(one), pass(two)]);
    expect(b.bridge.sent.map((s) => s.req_id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `T${i}#1`).sort());
  });
});
