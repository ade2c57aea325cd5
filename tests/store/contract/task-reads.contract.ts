/** TaskStore: what the engine, the scheduler and operators read. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { ID, TRIGGERS, fixtures, payload, type StoreFactory } from './factory.js';

export function taskReadsContract(factory: StoreFactory): void {
  const fresh = fixtures(factory);

  describe(`${factory.name} store: the engine's reads`, () => {
    it('tells the waiting tasks that name a customer from those any customer can fire, by priority then age', async () => {
      const { store, clock } = await fresh();
      const tick = () => (clock.now += 1000);
      await store.tasks.receive(payload({ task_id: 'MINE' }), 'api');
      tick();
      await store.tasks.receive(payload({ task_id: 'MINE_URGENT', priority: 'high' }), 'api');
      tick();
      await store.tasks.receive(
        payload({
          task_id: 'OTHER',
          customer: { id: 'c2' },
          trigger: { type: 'specified_customer_reply', customer_id: 'c2', keyword: '好的' },
        }),
        'api',
      );
      await store.tasks.receive(payload({ task_id: 'ANY1', trigger: TRIGGERS.customer_reply }), 'api');
      tick();
      await store.tasks.receive(payload({ task_id: 'ANY2', trigger: TRIGGERS.customer_keyword, priority: 'high' }), 'api');
      await store.tasks.receive(payload({ task_id: 'PAY', trigger: TRIGGERS.customer_payment }), 'api');
      await store.tasks.receive(payload({ task_id: 'CLOCK', trigger: TRIGGERS.time_reach }), 'api');
      expect(await store.tasks.waitingForCustomer('customer_123')).toEqual([]); // nothing armed yet
      await store.tasks.arm('d');
      expect((await store.tasks.waitingForCustomer('customer_123')).map((t) => t.task_id)).toEqual(['MINE_URGENT', 'MINE']);
      expect((await store.tasks.waitingForAnyCustomer()).map((t) => t.task_id)).toEqual(['ANY2', 'ANY1', 'PAY']);
    });

    it('the waiting-set token moves when tasks are armed, here or through another connection', async () => {
      const { store, again } = await fresh();
      const t0 = await store.tasks.waitingSetToken();
      expect(await store.tasks.waitingSetToken()).toBe(t0);
      await store.tasks.receive(payload(), 'api');
      await store.tasks.arm('d');
      const t1 = await store.tasks.waitingSetToken();
      expect(t1).not.toBe(t0);
      const other = await again();
      await other.tasks.receive(payload({ task_id: 'T2' }), 'api');
      await other.tasks.arm('d2');
      expect(await store.tasks.waitingSetToken()).not.toBe(t1);
    });

    it('reports the any-customer tasks that joined since a cursor, or all of them after another connection wrote (optional)', async () => {
      const { store, again } = await fresh();
      const changesSince = store.tasks.anyCustomerChangesSince?.bind(store.tasks);
      if (!changesSince) return; // optional: the engine reads the whole list when the token moves
      const ids = (c: { tasks: { task_id: string }[] }) => c.tasks.map((t) => t.task_id);
      await store.tasks.receive(payload({ task_id: 'ANY1', trigger: TRIGGERS.customer_reply }), 'api');
      await store.tasks.receive(payload({ task_id: 'MINE' }), 'api');
      await store.tasks.arm('d');
      const first = await changesSince(null);
      expect({ reset: first.reset, ids: ids(first) }).toEqual({ reset: true, ids: ['ANY1'] });
      const same = await changesSince(first.cursor);
      expect({ reset: same.reset, ids: ids(same), cursor: same.cursor }).toEqual({ reset: false, ids: [], cursor: first.cursor });

      await store.tasks.receive(payload({ task_id: 'ANY2', trigger: TRIGGERS.customer_keyword }), 'api');
      await store.tasks.receive(payload({ task_id: 'CLOCK', trigger: TRIGGERS.time_reach }), 'api');
      await store.tasks.arm('d');
      const joined = await changesSince(first.cursor);
      expect(joined.reset ? ids(joined).sort() : ids(joined)).toEqual(joined.reset ? ['ANY1', 'ANY2'] : ['ANY2']);

      const other = await again();
      await other.tasks.receive(payload({ task_id: 'ANY3', trigger: TRIGGERS.customer_reply }), 'api');
      await other.tasks.arm('d2');
      const afterOther = await changesSince(joined.cursor);
      expect(afterOther.reset ? ids(afterOther) : [...ids(joined), ...ids(afterOther)]).toEqual(expect.arrayContaining(['ANY3']));
      expect(ids(afterOther)).not.toContain('CLOCK');
    });

    it('claims a batch of due tasks in dueTasks order, each once, with its req_id and reason (optional claimDue)', async () => {
      const { store, clock, again } = await fresh(Date.parse('2026-02-27T00:00:00Z'));
      const claimDue = store.tasks.claimDue?.bind(store.tasks);
      if (!claimDue) return; // optional: the scheduler claims dueTasks() one by one
      await store.tasks.receive(payload({ task_id: 'LATE', trigger: { type: 'time_reach', time: '2026-02-28 10:00:00' } }), 'api');
      await store.tasks.receive(payload({ task_id: 'EARLY', trigger: TRIGGERS.time_reach }), 'api');
      await store.tasks.receive(payload({ task_id: 'EARLY_HIGH', trigger: TRIGGERS.time_reach, priority: 'high' }), 'api');
      await store.tasks.receive(payload({ task_id: 'NOT_YET', trigger: { type: 'time_reach', time: '2026-03-01 10:00:00' } }), 'api');
      await store.tasks.arm('d');
      clock.now = Date.parse('2026-02-28T03:00:00Z');
      const options = { owner: 'p1', leaseMs: 60_000, reason: (t: { task_id: string }) => `fired ${t.task_id}` };
      const first = await claimDue(2, options);
      expect(first.map((t) => [t.task_id, t.status, t.attempt])).toEqual([
        ['EARLY_HIGH', 'running', 1],
        ['EARLY', 'running', 1],
      ]);
      expect((await store.tasks.attempts('EARLY'))[0]).toMatchObject({ req_id: 'EARLY#1', owner: 'p1' });
      expect((await store.tasks.events('EARLY')).at(-1)).toMatchObject({ to_status: 'running', reason: 'fired EARLY' });
      const other = await again();
      const rest = await other.tasks.claimDue!(10, { ...options, owner: 'p2' }); // another connection: what is left
      expect(rest.map((t) => t.task_id)).toEqual(['LATE']);
      expect(await claimDue(10, options)).toEqual([]);
    });

    it('gives due tasks earliest first (then priority), up to the limit, and when to wake next', async () => {
      const { store, clock } = await fresh(Date.parse('2026-02-27T00:00:00Z'));
      await store.tasks.receive(payload({ task_id: 'LATE', trigger: { type: 'time_reach', time: '2026-02-28 10:00:00' } }), 'api');
      await store.tasks.receive(payload({ task_id: 'EARLY', trigger: TRIGGERS.time_reach }), 'api');
      await store.tasks.receive(payload({ task_id: 'EARLY_HIGH', trigger: TRIGGERS.time_reach, priority: 'high' }), 'api');
      await store.tasks.receive(payload({ task_id: 'MSG', timeout_hours: 100 }), 'api');
      await store.tasks.arm('d');
      expect(await store.tasks.dueTasks(10)).toEqual([]);
      expect(await store.tasks.nextWakeAt()).toBe(Date.parse('2026-02-28T01:00:00Z'));
      clock.now = Date.parse('2026-02-28T03:00:00Z');
      expect((await store.tasks.dueTasks(10)).map((t) => t.task_id)).toEqual(['EARLY_HIGH', 'EARLY', 'LATE']);
      expect((await store.tasks.dueTasks(1)).map((t) => t.task_id)).toEqual(['EARLY_HIGH']);
      expect((await store.tasks.stats()).next_due?.due_at).toBe('2026-02-28T01:00:00.000Z');
    });

    it('remembers which tasks a customer message fired', async () => {
      const { store } = await fresh();
      await store.tasks.receive(payload(), 'api');
      await store.tasks.receive(payload({ task_id: 'T2' }), 'api');
      await store.tasks.arm('d');
      const target = { acc_id: 'acc', from_id: 'customer_123', msg_id: 'm-1' };
      await store.tasks.claim(ID, { owner: 'a', leaseMs: 1000, target });
      await store.tasks.claim('T2', { owner: 'a', leaseMs: 1000, target });
      expect(await store.tasks.firedBy('acc', 'm-1')).toEqual([ID, 'T2']);
      expect(await store.tasks.firedBy('other', 'm-1')).toEqual([]);
    });
  });

  describe(`${factory.name} store: operators' reads`, () => {
    it('lists newest first, filtered and paged, and refuses a page size out of range naming it', async () => {
      const { store, clock } = await fresh();
      for (let i = 0; i < 25; i++) {
        clock.now += 1000;
        await store.tasks.receive(payload({ task_id: `T${i}`, customer: { id: i % 2 ? 'odd' : 'even' } }), 'api');
      }
      const page = await store.tasks.list({ customerId: 'odd', page: 2, pageSize: 5 });
      expect(page).toMatchObject({ total: 12, page: 2, page_size: 5 });
      expect(page.items.map((t) => t.task_id)).toEqual(['T13', 'T11', 'T9', 'T7', 'T5']);
      expect((await store.tasks.list({ status: 'waiting' })).total).toBe(0);
      expect((await store.tasks.list({ triggerType: 'specified_customer_reply' })).total).toBe(25);
      await expect(store.tasks.list({ pageSize: 500 })).rejects.toThrow(ValidationError);
      await expect(store.tasks.list({ page: 0 })).rejects.toThrow(/page/);
    });

    it('pages a status newest first, tasks received at the same time latest first, with every field of the row', async () => {
      const { store, clock } = await fresh();
      for (let i = 0; i < 12; i++) {
        if (i % 3 === 0) clock.now += 1000; // three tasks per instant
        await store.tasks.receive(payload({ task_id: `S${i}`, customer: { id: `c${i}` } }), 'api');
      }
      await store.tasks.cancel('S10', 'test', 'ops');
      const page = await store.tasks.list({ status: 'pending', page: 2, pageSize: 4 });
      expect(page).toMatchObject({ total: 11, page: 2, page_size: 4 });
      expect(page.items.map((t) => t.task_id)).toEqual(['S6', 'S5', 'S4', 'S3']);
      expect(page.items[0]).toEqual(await store.tasks.get('S6'));
    });

    it('counts tasks by status and trigger, and names the oldest pending one', async () => {
      const { store, clock } = await fresh();
      await store.tasks.receive(payload({ task_id: 'P0' }), 'api');
      clock.now += 1000;
      await store.tasks.receive(payload({ task_id: 'P1', trigger: TRIGGERS.customer_reply }), 'api');
      await store.tasks.cancel('P1', 'no', 'cli');
      const stats = await store.tasks.stats();
      expect(stats).toMatchObject({
        total: 2,
        by_trigger_type: { specified_customer_reply: 1, customer_reply: 1 },
        oldest_pending: { task_id: 'P0' },
      });
      expect(stats.by_status).toMatchObject({ pending: 1, cancelled: 1, waiting: 0 });
      expect(stats.schema_version).toBeGreaterThan(0);
      expect(await store.tasks.get('NOPE')).toBeNull();
      expect(await store.tasks.events('NOPE')).toEqual([]);
    });
  });
}
