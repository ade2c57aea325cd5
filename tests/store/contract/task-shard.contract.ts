/** TaskStore: the shard scope of `serve --multi` — each worker reads the due tasks of its own customers only. */
import { describe, expect, it } from 'vitest';
import { shardOf } from '../../../src/tasks/index.js';
import { TRIGGERS, fixtures, payload, type StoreFactory } from './factory.js';

export function taskShardContract(factory: StoreFactory): void {
  const fresh = fixtures(factory);

  describe(`${factory.name} store: due tasks by worker shard`, () => {
    it('gives each worker the due tasks of the customers md5(acc_id:customer) mod N assigns it; an unknown account counts as empty', async () => {
      const { store, clock } = await fresh(Date.parse('2026-02-27T00:00:00Z'));
      const count = 3;
      const customers = Array.from({ length: 12 }, (_, i) => ({ id: `c${i}`, acc_id: `wx_${i % 2}` }));
      for (const customer of customers) {
        await store.tasks.receive(payload({ task_id: `T_${customer.id}`, customer, trigger: TRIGGERS.time_reach }), 'api');
      }
      // The account is learnt from the customer's messages later: until then the task is sharded by ":customer".
      await store.tasks.receive(payload({ task_id: 'NO_ACCOUNT', customer: { id: 'c_new' }, trigger: TRIGGERS.time_reach }), 'api');
      await store.tasks.arm('d');
      const due = Date.parse('2026-02-28T01:00:00Z');
      for (let index = 0; index < count; index++) expect(await store.tasks.nextWakeAt({ shard: { index, count } })).toBe(due);
      clock.now = Date.parse('2026-02-28T03:00:00Z');

      const seen: string[] = [];
      for (let index = 0; index < count; index++) {
        const mine = (await store.tasks.dueTasks(100, { shard: { index, count } })).map((t) => t.task_id).sort();
        const expected = customers.filter((c) => shardOf(c.acc_id, c.id, count) === index).map((c) => `T_${c.id}`);
        if (shardOf('', 'c_new', count) === index) expected.push('NO_ACCOUNT');
        expect(mine).toEqual(expected.sort());
        seen.push(...mine);
      }
      expect(seen.sort()).toEqual((await store.tasks.dueTasks(100)).map((t) => t.task_id).sort()); // all, once
    });

    it('wakes a worker only for its own due tasks (another worker fires the others)', async () => {
      const { store } = await fresh(Date.parse('2026-02-27T00:00:00Z'));
      const customer = { id: 'only', acc_id: 'wx_a' };
      const owner = shardOf(customer.acc_id, customer.id, 2);
      await store.tasks.receive(payload({ task_id: 'ONE', customer, trigger: TRIGGERS.time_reach, timeout_hours: 1000 }), 'api');
      await store.tasks.arm('d');
      const other = 1 - owner;
      expect(await store.tasks.nextWakeAt({ shard: { index: owner, count: 2 } })).toBe(Date.parse('2026-02-28T01:00:00Z'));
      // The other worker still wakes for the task's expiry (anyone may expire it), never for its due time.
      expect(await store.tasks.nextWakeAt({ shard: { index: other, count: 2 } })).toBeGreaterThan(Date.parse('2026-03-01T00:00:00Z'));
    });
  });
}
