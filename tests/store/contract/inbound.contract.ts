/** InboundStore: a customer's message is handled once; the contacts book remembers the account they talk to. */
import { describe, expect, it } from 'vitest';
import { fixtures, type StoreFactory } from './factory.js';

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
