/** InboundStore: a customer's message is handled once; the contacts book remembers the account they talk to. */
import { describe, expect, it } from 'vitest';
import { fixtures, payload, type StoreFactory } from './factory.js';

export function inboundContract(factory: StoreFactory): void {
  const fresh = fixtures(factory);

  describe(`${factory.name} store: inbound messages`, () => {
    it('new, then resumed until handled, then a duplicate', async () => {
      const { store } = await fresh();
      const m = { acc_id: 'acc', msg_id: 'm-1', from_id: 'c1', from_name: '小明' };
      expect(await store.inbound.record(m)).toBe('new');
      expect(await store.inbound.record(m)).toBe('resumed');
      await store.inbound.handled('acc', 'm-1');
      expect(await store.inbound.record(m)).toBe('duplicate');
      expect(await store.inbound.record({ ...m, acc_id: 'acc2' })).toBe('new'); // the key is (acc_id, msg_id)
    });

    it('take: recorded, its tasks claimed and handled in one go; taken again it is a duplicate and claims nothing', async () => {
      const { store } = await fresh();
      for (const id of ['A', 'B']) await store.tasks.receive(payload({ task_id: id }), 'api');
      await store.tasks.arm('d');
      await store.tasks.claim('B', { owner: 'other', leaseMs: 60_000 }); // another daemon was first
      const m = { acc_id: 'acc', msg_id: 'm-1', from_id: 'customer_123', from_name: '小明' };
      const target = { acc_id: 'acc', from_id: 'customer_123', msg_id: 'm-1' };
      const claims = ['A', 'B', 'NONE'].map((taskId) => ({ taskId, options: { owner: 'd', leaseMs: 60_000, target } }));
      const taken = await store.inbound.take(m, claims);
      expect(taken.recorded).toBe('new');
      expect(taken.claimed.map((t) => t?.task_id ?? null)).toEqual(['A', null, null]);
      expect(await store.tasks.get('A')).toMatchObject({ status: 'running', lease_owner: 'd' });
      expect(await store.tasks.firedBy('acc', 'm-1')).toEqual(['A']);
      expect(await store.inbound.accountFor('customer_123')).toBe('acc');
      // The bridge delivers it again (the ack was lost): nothing is claimed, even a task that is waiting again.
      await store.tasks.recoverLeases('d', ['d']);
      expect(await store.inbound.take(m, claims)).toEqual({ recorded: 'duplicate', claimed: [] });
      expect(await store.inbound.record(m)).toBe('duplicate');
      expect(await store.tasks.get('A')).toMatchObject({ status: 'waiting' });
    });

    it('take: a message recorded but never handled (its daemon died in between) is resumed, its tasks claimed', async () => {
      const { store } = await fresh();
      await store.tasks.receive(payload({ task_id: 'A' }), 'api');
      await store.tasks.arm('d');
      const m = { acc_id: 'acc', msg_id: 'm-1', from_id: 'customer_123' };
      expect(await store.inbound.record(m)).toBe('new');
      const taken = await store.inbound.take(m, [{ taskId: 'A', options: { owner: 'd', leaseMs: 60_000 } }]);
      expect(taken.recorded).toBe('resumed');
      expect(taken.claimed.map((t) => t?.task_id)).toEqual(['A']);
      expect(await store.inbound.record(m)).toBe('duplicate'); // handled now
    });

    it('take: a burst of messages at once (one commit where the store groups them), each recorded and handled once', async () => {
      const { store } = await fresh();
      await store.tasks.receive(payload({ task_id: 'ONE' }), 'api');
      await store.tasks.arm('d');
      const messages = Array.from({ length: 30 }, (_, i) => ({ acc_id: 'acc', msg_id: `m-${i}`, from_id: `c${i % 3}` }));
      // Every message of the burst matched ONE, and one of them comes twice: ONE is claimed once, the copy is a duplicate.
      const claim = [{ taskId: 'ONE', options: { owner: 'd', leaseMs: 60_000 } }];
      const taken = await Promise.all([...messages, messages[4]!].map((m) => store.inbound.take(m, claim)));
      expect(taken.filter((t) => t.recorded === 'new')).toHaveLength(30);
      expect(taken.filter((t) => t.recorded === 'duplicate')).toEqual([{ recorded: 'duplicate', claimed: [] }]);
      expect(taken.flatMap((t) => t.claimed).filter((t) => t !== null)).toMatchObject([{ task_id: 'ONE', status: 'running' }]);
      for (const m of messages) expect(await store.inbound.record(m)).toBe('duplicate');
    });

    it('knows the account a customer last talked to, and their name', async () => {
      const { store, clock } = await fresh();
      expect(await store.inbound.accountFor('c1')).toBeNull();
      await store.inbound.record({ acc_id: 'acc1', msg_id: 'm-1', from_id: 'c1', from_name: '小明' });
      clock.now += 1000;
      await store.inbound.record({ acc_id: 'acc2', msg_id: 'm-2', from_id: 'c1' });
      expect(await store.inbound.accountFor('c1')).toBe('acc2');
      expect((await store.inbound.contact('c1')).map((c) => [c.acc_id, c.name])).toEqual([
        ['acc2', null],
        ['acc1', '小明'],
      ]);
    });

    it('prunes old de-duplication keys', async () => {
      const { store, clock } = await fresh();
      await store.inbound.record({ acc_id: 'acc', msg_id: 'm-1', from_id: 'c1' });
      clock.now += 1000;
      expect(await store.inbound.prune(clock.now, 100)).toBe(1);
      expect(await store.inbound.record({ acc_id: 'acc', msg_id: 'm-1', from_id: 'c1' })).toBe('new');
    });
  });
}
