/** TaskStore: receive, arm, claim and how a claim ends; what operators do (cancel, redrive, reschedule); expiry. */
import { describe, expect, it } from 'vitest';
import { InvalidStateError, NotFoundError } from '../../../src/errors.js';
import { ID, TRIGGERS, fixtures, payload, type StoreFactory } from './factory.js';

export function taskLifecycleContract(factory: StoreFactory): void {
  const fresh = fixtures(factory);

  describe(`${factory.name} store: receiving tasks`, () => {
    it('stores a new task as pending with one event naming who sent it', async () => {
      const { store } = await fresh();
      const { task, created } = await store.tasks.receive(payload(), '天网');
      expect(created).toBe(true);
      expect(task).toMatchObject({ task_id: ID, status: 'pending', customer_id: 'customer_123', priority: 'normal', attempt: 0 });
      expect(await store.tasks.events(ID)).toMatchObject([{ from_status: null, to_status: 'pending', actor: '天网' }]);
    });

    it('is idempotent for the same payload and a conflict for another, which changes nothing', async () => {
      const { store } = await fresh();
      await store.tasks.receive(payload(), 'a');
      expect((await store.tasks.receive(payload(), 'a')).created).toBe(false);
      await expect(store.tasks.receive(payload({ priority: 'high' }), 'a')).rejects.toThrow(InvalidStateError);
      const page = await store.tasks.list({});
      expect(page.total).toBe(1);
      expect(page.items[0]!.priority).toBe('normal');
      expect(await store.tasks.events(ID)).toHaveLength(1);
    });

    it('a burst of receives at once (committed together where the store groups them): each stored once, a conflict refused alone', async () => {
      const { store } = await fresh();
      await store.tasks.receive(payload({ task_id: 'TAKEN' }), 'a');
      const burst = await Promise.allSettled([
        ...Array.from({ length: 50 }, (_, i) => store.tasks.receive(payload({ task_id: `B${i}` }), 'a')),
        store.tasks.receive(payload({ task_id: 'TAKEN', priority: 'high' }), 'a'), // another payload: refused
        store.tasks.receive(payload({ task_id: 'B7' }), 'a'), // the same again: not created twice
      ]);
      expect(burst.slice(0, 50).every((r) => r.status === 'fulfilled' && r.value.created)).toBe(true);
      expect(burst[50]).toMatchObject({ status: 'rejected', reason: expect.any(InvalidStateError) });
      expect(burst[51]).toMatchObject({ status: 'fulfilled', value: { created: false } });
      expect((await store.tasks.list({ pageSize: 200 })).total).toBe(51);
      expect((await store.tasks.get('TAKEN'))!.priority).toBe('normal');
      for (const id of ['B0', 'B7', 'B49']) expect(await store.tasks.events(id)).toHaveLength(1);
    });
  });

  describe(`${factory.name} store: arming and claiming`, () => {
    it('arms pending tasks (all, or the ones named), but not one that expired before any daemon saw it', async () => {
      const { store, clock } = await fresh();
      await store.tasks.receive(payload({ task_id: 'A' }), 'api');
      await store.tasks.receive(payload({ task_id: 'B' }), 'api');
      await store.tasks.receive(payload({ task_id: 'OLD', timeout_hours: 1 }), 'api');
      expect(await store.tasks.arm('d', ['B'])).toEqual(['B']);
      clock.now += 2 * 3600_000;
      expect(await store.tasks.arm('d')).toEqual(['A']);
      expect((await store.tasks.get('OLD'))!.status).toBe('pending');
      expect(await store.tasks.arm('d')).toEqual([]);
    });

    it('runs pending → waiting → running → completed, one event each, and queues one callback', async () => {
      const { store } = await fresh();
      await store.tasks.receive(payload(), 'api');
      await store.tasks.arm('daemon');
      const claimed = await store.tasks.claim(ID, {
        owner: 'd1',
        leaseMs: 30_000,
        target: { acc_id: '1688000001', from_id: 'customer_123', from_name: '小明' },
      });
      expect(claimed).toMatchObject({
        status: 'running',
        attempt: 1,
        lease_owner: 'd1',
        target: { acc_id: '1688000001', from_id: 'customer_123' },
      });
      expect(claimed!.triggered_at).not.toBeNull();
      const done = await store.tasks.complete(ID, 1, { msg_id: 'm1' }, 'd1');
      expect(done).toMatchObject({ status: 'completed', result: { msg_id: 'm1' }, lease_owner: null });
      expect((await store.tasks.events(ID)).map((e) => `${e.from_status}→${e.to_status}`)).toEqual([
        'null→pending',
        'pending→waiting',
        'waiting→running',
        'running→completed',
      ]);
      const callbacks = await store.outbox.list(ID);
      expect(callbacks).toHaveLength(1);
      expect(callbacks[0]!.kind).toBe('callback');
      expect(JSON.parse(callbacks[0]!.payload)).toMatchObject({
        task_id: ID,
        status: 'completed',
        customer_id: 'customer_123',
        attempts: 1,
      });
      expect((await store.tasks.stats()).outbox_backlog).toBe(1);
      expect(await store.tasks.attempts(ID)).toMatchObject([{ attempt: 1, req_id: `${ID}#1`, owner: 'd1', outcome: 'completed' }]);
    });

    it('a task is claimed once even when two connections race for every task', async () => {
      const { store, again } = await fresh(Date.now());
      const ids = Array.from({ length: 30 }, (_, i) => `R${i}`);
      for (const id of ids) await store.tasks.receive(payload({ task_id: id }), 'api');
      await store.tasks.arm('d');
      const other = await again();
      const claims = await Promise.all(
        ids.flatMap((id) =>
          [store, other].map(async (s, i) => ((await s.tasks.claim(id, { owner: `p${i}`, leaseMs: 60_000 })) ? id : null)),
        ),
      );
      expect(claims.filter((id) => id !== null).sort()).toEqual([...ids].sort());
      expect((await store.tasks.stats()).by_status.running).toBe(ids.length);
    });

    it('a stale attempt can neither complete nor fail the task', async () => {
      const { store } = await fresh();
      await store.tasks.receive(payload(), 'api');
      await store.tasks.arm('d');
      await store.tasks.claim(ID, { owner: 'a', leaseMs: 1000 });
      expect(await store.tasks.claim(ID, { owner: 'b', leaseMs: 1000 })).toBeNull();
      expect(await store.tasks.complete(ID, 7, null, 'a')).toBeNull();
      expect(await store.tasks.fail(ID, 7, 'x', 'a')).toBeNull();
      expect((await store.tasks.get(ID))!.status).toBe('running');
    });
  });

  describe(`${factory.name} store: retry, put back, fail`, () => {
    it('a retry waits its backoff, goes to the same customer, and fails after the last attempt', async () => {
      const { store, clock } = await fresh();
      await store.tasks.receive(payload(), 'api');
      await store.tasks.arm('d');
      await store.tasks.claim(ID, { owner: 'a', leaseMs: 1000, target: { acc_id: 'acc', from_id: 'customer_123' } });
      expect(await store.tasks.retry(ID, 1, 'bridge timeout', clock.now + 5000, 'a')).toMatchObject({
        status: 'waiting',
        retry_count: 1,
        error_message: 'bridge timeout',
      });
      expect(await store.tasks.claim(ID, { owner: 'a', leaseMs: 1000 })).toBeNull();
      clock.now += 5000;
      expect(await store.tasks.claim(ID, { owner: 'a', leaseMs: 1000 })).toMatchObject({
        attempt: 2,
        target: { from_id: 'customer_123', acc_id: 'acc' },
      });
      expect(await store.tasks.fail(ID, 2, 'send refused', 'a')).toMatchObject({ status: 'failed', error_message: 'send refused' });
      expect((await store.tasks.attempts(ID)).map((a) => [a.req_id, a.outcome])).toEqual([
        [`${ID}#1`, 'retry'],
        [`${ID}#2`, 'failed'],
      ]);
      expect(JSON.parse((await store.outbox.list(ID))[0]!.payload)).toMatchObject({ status: 'failed', error_message: 'send refused' });
    });

    it('an outcome in doubt is retried under the same req_id', async () => {
      const { store, clock } = await fresh();
      await store.tasks.receive(payload(), 'api');
      await store.tasks.arm('d');
      await store.tasks.claim(ID, { owner: 'a', leaseMs: 1000 });
      expect(await store.tasks.retry(ID, 1, 'no ack', clock.now, 'a', { sameRequest: true })).toMatchObject({ retry_count: 0 });
      await store.tasks.claim(ID, { owner: 'a', leaseMs: 1000 });
      expect((await store.tasks.attempts(ID)).map((a) => a.req_id)).toEqual([`${ID}#1`, `${ID}#1`]);
    });

    it('a send that never left is put back: no attempt spent, due from when it fired', async () => {
      const { store, clock } = await fresh();
      await store.tasks.receive(payload(), 'api');
      await store.tasks.arm('d');
      const claimed = await store.tasks.claim(ID, { owner: 'a', leaseMs: 1000 });
      clock.now += 10_000;
      const back = await store.tasks.putBack(ID, 1, 'bridge away', 'a');
      expect(back).toMatchObject({ status: 'waiting', attempt: 0, retry_count: 0, due_at: claimed!.triggered_at });
      expect(await store.tasks.attempts(ID)).toEqual([]);
      expect(await store.tasks.putBack(ID, 1, 'again', 'a')).toBeNull();
    });
  });

  describe(`${factory.name} store: what operators do`, () => {
    it('cancels only before the task ran, naming the status otherwise', async () => {
      const { store } = await fresh();
      await store.tasks.receive(payload(), 'api');
      await store.tasks.receive(payload({ task_id: 'T2' }), 'api');
      expect(await store.tasks.cancel(ID, '客户取消订单', 'cli')).toMatchObject({ status: 'cancelled', error_message: '客户取消订单' });
      expect(JSON.parse((await store.outbox.list(ID))[0]!.payload)).toMatchObject({ status: 'cancelled' });
      await store.tasks.arm('d');
      await store.tasks.claim('T2', { owner: 'a', leaseMs: 1000 });
      await expect(store.tasks.cancel('T2', 'x', 'cli')).rejects.toThrow(/T2 is running/);
      await expect(store.tasks.cancel('NOPE', 'x', 'cli')).rejects.toThrow(NotFoundError);
      await expect(store.tasks.cancel(ID, 'again', 'cli')).rejects.toThrow(InvalidStateError);
    });

    it('redrives a failed task as a new attempt with its retries again; refuses any other', async () => {
      const { store } = await fresh();
      await store.tasks.receive(payload({ max_retry: 1 }), 'api');
      await store.tasks.arm('d');
      await store.tasks.claim(ID, { owner: 'a', leaseMs: 1000 });
      await store.tasks.fail(ID, 1, 'refused', 'a');
      const again = await store.tasks.redrive(ID, 'fixed the file', 'cli');
      expect(again).toMatchObject({ status: 'waiting', retry_count: 1, max_retry: 2, error_message: null });
      await expect(store.tasks.redrive(ID, '', 'cli')).rejects.toThrow(InvalidStateError);
      await expect(store.tasks.redrive('NOPE', '', 'cli')).rejects.toThrow(NotFoundError);
      expect(await store.tasks.claim(ID, { owner: 'a', leaseMs: 1000 })).toMatchObject({ attempt: 2 });
      expect((await store.tasks.attempts(ID)).map((a) => a.req_id)).toEqual([`${ID}#1`, `${ID}#2`]);
    });

    it('reschedules a time_reach task that has not run; refuses another trigger', async () => {
      const { store } = await fresh(Date.parse('2026-02-27T00:00:00Z'));
      await store.tasks.receive(payload({ task_id: 'T', trigger: TRIGGERS.time_reach }), 'api');
      expect(await store.tasks.reschedule('T', '2026-03-01 10:30:00', 'cli')).toMatchObject({
        due_at: '2026-03-01T02:30:00.000Z',
        trigger: { time: '2026-03-01 10:30:00' },
      });
      await store.tasks.receive(payload(), 'api');
      await expect(store.tasks.reschedule(ID, '2026-03-01 10:30:00', 'cli')).rejects.toThrow(InvalidStateError);
      await expect(store.tasks.reschedule('NOPE', '2026-03-01 10:30:00', 'cli')).rejects.toThrow(NotFoundError);
    });

    it('a cron task goes back to waiting for its next run after completing', async () => {
      const { store, clock } = await fresh(Date.parse('2026-02-27T00:00:00Z'));
      await store.tasks.receive(payload({ task_id: 'C', trigger: { type: 'cron', expression: '0 9 * * *' } }), 'api');
      await store.tasks.arm('d');
      clock.now = Date.parse('2026-02-27T01:00:00Z');
      const run1 = await store.tasks.claim('C', { owner: 'a', leaseMs: 1000 });
      expect(await store.tasks.complete('C', run1!.attempt, { ok: true }, 'a')).toMatchObject({
        status: 'waiting',
        run_no: 1,
        due_at: '2026-02-28T01:00:00.000Z',
      });
    });
  });

  describe(`${factory.name} store: expiry`, () => {
    it('expiry wins over a claim in the same instant, and the expired task gets its callback', async () => {
      const { store, clock } = await fresh();
      await store.tasks.receive(payload({ timeout_hours: 1 }), 'api');
      await store.tasks.arm('d');
      clock.now += 3600_000;
      expect(await store.tasks.claim(ID, { owner: 'a', leaseMs: 1000 })).toBeNull();
      expect(await store.tasks.expire('d')).toEqual([ID]);
      expect(await store.tasks.expire('d')).toEqual([]);
      expect((await store.tasks.get(ID))!.status).toBe('expired');
      expect(JSON.parse((await store.outbox.list(ID))[0]!.payload)).toMatchObject({ status: 'expired' });
    });
  });
}
