/** TaskStore: leases of running tasks, their renewal, and taking them back from a dead daemon. */
import { describe, expect, it } from 'vitest';
import { ID, fixtures, payload, type StoreFactory } from './factory.js';

export function taskLeasesContract(factory: StoreFactory): void {
  const fresh = fixtures(factory);

  describe(`${factory.name} store: leases`, () => {
    it('only the owner of the running attempt renews its lease', async () => {
      const { store } = await fresh();
      await store.tasks.receive(payload(), 'api');
      await store.tasks.arm('d');
      await store.tasks.claim(ID, { owner: 'd1', leaseMs: 1000 });
      expect(await store.tasks.leaseOwners()).toEqual(['d1']);
      expect(await store.tasks.renewLease(ID, 1, 'd1', 60_000)).toBe(true);
      expect(await store.tasks.renewLease(ID, 1, 'd2', 60_000)).toBe(false);
      expect(await store.tasks.renewLease(ID, 2, 'd1', 60_000)).toBe(false);
    });

    it('an expired lease is taken back: waiting, due now, the attempt in doubt repeated under its req_id', async () => {
      const { store, clock } = await fresh();
      await store.tasks.receive(payload(), 'api');
      await store.tasks.arm('d');
      await store.tasks.claim(ID, { owner: 'd1', leaseMs: 1000 });
      expect(await store.tasks.recoverLeases('d2')).toEqual([]); // not expired yet
      clock.now += 1000;
      expect(await store.tasks.recoverLeases('d2')).toEqual([ID]);
      expect(await store.tasks.get(ID)).toMatchObject({ status: 'waiting', lease_owner: null, retry_count: 0 });
      expect(await store.tasks.claim(ID, { owner: 'd2', leaseMs: 1000 })).toMatchObject({ attempt: 2 });
      expect((await store.tasks.attempts(ID)).map((a) => [a.req_id, a.outcome])).toEqual([
        [`${ID}#1`, 'lease_expired'],
        [`${ID}#1`, null],
      ]);
    });

    it('a lease held by a dead owner is taken back before it expires; others are left alone', async () => {
      const { store } = await fresh();
      await store.tasks.receive(payload({ task_id: 'A' }), 'api');
      await store.tasks.receive(payload({ task_id: 'B' }), 'api');
      await store.tasks.arm('d');
      await store.tasks.claim('A', { owner: 'dead', leaseMs: 60_000 });
      await store.tasks.claim('B', { owner: 'alive', leaseMs: 60_000 });
      expect((await store.tasks.leaseOwners()).sort()).toEqual(['alive', 'dead']);
      expect(await store.tasks.recoverLeases('me', ['dead'])).toEqual(['A']);
      expect((await store.tasks.get('B'))!.status).toBe('running');
    });
  });
}
