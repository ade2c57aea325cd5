/** DaemonRegistry and ClaimScope.accounts: what several daemons on one store rely on. */
import { describe, expect, it } from 'vitest';
import { fixtures, payload, TRIGGERS, type StoreFactory } from './factory.js';

const beat = (id: string, accounts: string[], heartbeatAt: number) => ({
  id,
  host: 'pc1',
  pid: 4242,
  accounts,
  api_url: 'http://10.0.0.5:6060',
  version: '1.0.0',
  started_at: '2026-02-27T08:00:00.000Z',
  heartbeat_at: heartbeatAt,
});

export function daemonRegistryContract(factory: StoreFactory): void {
  const fresh = fixtures(factory);

  describe(`${factory.name} store: daemon registry`, () => {
    it('records, refreshes, marks stopped and forgets daemons; another connection sees them', async () => {
      const { store, again } = await fresh();
      expect(await store.daemons.list()).toEqual([]);
      await store.daemons.heartbeat(beat('daemon:pc1:2', ['wx_b', 'wx_a'], 1000));
      await store.daemons.heartbeat(beat('daemon:pc1:1', [], 1000));
      await store.daemons.heartbeat(beat('daemon:pc1:2', ['wx_a'], 4000));
      await store.daemons.stopped('daemon:pc1:1', '2026-02-27T08:01:00.000Z');
      const other = await again();
      expect(await other.daemons.list()).toEqual([
        { ...beat('daemon:pc1:1', [], 1000), stopped_at: '2026-02-27T08:01:00.000Z' },
        { ...beat('daemon:pc1:2', ['wx_a'], 4000), stopped_at: null },
      ]);
      // A daemon that beats again runs again.
      await store.daemons.heartbeat(beat('daemon:pc1:1', ['wx_c'], 5000));
      expect((await other.daemons.list())[0]).toMatchObject({ accounts: ['wx_c'], stopped_at: null, heartbeat_at: 5000 });
      expect(await other.daemons.forget('daemon:pc1:1')).toBe(true);
      expect(await other.daemons.forget('daemon:pc1:1')).toBe(false);
      expect((await store.daemons.list()).map((d) => d.id)).toEqual(['daemon:pc1:2']);
    });
  });
}

export function claimScopeContract(factory: StoreFactory): void {
  const fresh = fixtures(factory);

  describe(`${factory.name} store: claim scope by account`, () => {
    it("gives a daemon its accounts' due tasks and those with no account, and wakes it only for them", async () => {
      const { store, clock } = await fresh(Date.parse('2026-02-27T00:00:00Z'));
      const at = (time: string) => ({ type: 'time_reach', time }) as typeof TRIGGERS.time_reach;
      const mine = { id: 'c1', name: 'A', acc_id: 'wx_a' };
      const theirs = { id: 'c2', name: 'B', acc_id: 'wx_b' };
      await store.tasks.receive(payload({ task_id: 'A1', customer: mine, trigger: at('2026-02-28 10:00:00') }), 'api');
      await store.tasks.receive(payload({ task_id: 'B1', customer: theirs, trigger: at('2026-02-28 09:00:00') }), 'api');
      await store.tasks.receive(payload({ task_id: 'NONE', customer: { id: 'c3', name: 'C' }, trigger: at('2026-02-28 11:00:00') }), 'api');
      await store.tasks.arm('d');
      const a = { accounts: ['wx_a'] };
      expect(await store.tasks.nextWakeAt()).toBe(Date.parse('2026-02-28T01:00:00Z'));
      expect(await store.tasks.nextWakeAt(a)).toBe(Date.parse('2026-02-28T02:00:00Z'));
      expect(await store.tasks.nextWakeAt({ accounts: ['wx_b'] })).toBe(Date.parse('2026-02-28T01:00:00Z'));
      clock.now = Date.parse('2026-02-28T04:00:00Z');
      expect((await store.tasks.dueTasks(10)).map((t) => t.task_id)).toEqual(['B1', 'A1', 'NONE']);
      expect((await store.tasks.dueTasks(10, a)).map((t) => t.task_id)).toEqual(['A1', 'NONE']);
      expect((await store.tasks.dueTasks(10, { accounts: [] })).map((t) => t.task_id)).toEqual(['NONE']);
    });

    it("a retry goes by the account of the message that fired it, not the task's own", async () => {
      const { store, clock } = await fresh();
      await store.tasks.receive(payload({ task_id: 'R', customer: { id: 'customer_123', name: '小明' } }), 'api');
      await store.tasks.arm('d');
      const target = { acc_id: 'wx_b', from_id: 'customer_123', msg_id: 'm-1' };
      const claimed = await store.tasks.claim('R', { owner: 'd', leaseMs: 60_000, target });
      await store.tasks.retry('R', claimed!.attempt, 'send failed', clock.now + 1000, 'd');
      clock.now += 2000;
      expect(await store.tasks.dueTasks(10, { accounts: ['wx_a'] })).toEqual([]);
      expect((await store.tasks.dueTasks(10, { accounts: ['wx_b'] })).map((t) => t.task_id)).toEqual(['R']);
    });

    it('a task with no account goes by the account its customer last wrote to (where it would be sent from)', async () => {
      const { store, clock } = await fresh(Date.parse('2026-02-27T00:00:00Z'));
      const at = { type: 'time_reach', time: '2026-02-28 10:00:00' } as typeof TRIGGERS.time_reach;
      await store.tasks.receive(payload({ task_id: 'KNOWN', customer: { id: 'c_b', name: 'B' }, trigger: at }), 'api');
      await store.tasks.receive(payload({ task_id: 'NEW', customer: { id: 'c_new', name: 'N' }, trigger: at }), 'api');
      await store.tasks.arm('d');
      // c_b wrote to wx_b: a daemon serving only wx_a must not send them anything (it would go out through wx_b).
      await store.inbound.record({ acc_id: 'wx_b', msg_id: 'm-b', from_id: 'c_b', from_name: 'B' });
      clock.now = Date.parse('2026-02-28T04:00:00Z');
      expect((await store.tasks.dueTasks(10, { accounts: ['wx_a'] })).map((t) => t.task_id)).toEqual(['NEW']);
      expect((await store.tasks.dueTasks(10, { accounts: ['wx_b'] })).map((t) => t.task_id).sort()).toEqual(['KNOWN', 'NEW']);
      expect(await store.tasks.nextWakeAt({ accounts: ['wx_a'] })).not.toBeNull();
    });
  });
}
