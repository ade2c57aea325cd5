/** OutboxStore: enqueued once per event id, delivered until accepted, deferred with the error kept. */
import { describe, expect, it } from 'vitest';
import { fixtures, type StoreFactory } from './factory.js';

export function outboxContract(factory: StoreFactory): void {
  const fresh = fixtures(factory);

  describe(`${factory.name} store: outbox`, () => {
    it('enqueues an event id once', async () => {
      const { store } = await fresh();
      expect(await store.outbox.enqueue('dispatch', 'E1', null, { a: 1 })).toBe(true);
      expect(await store.outbox.enqueue('dispatch', 'E1', null, { a: 2 })).toBe(false);
      const [item, ...more] = await store.outbox.due(10, ['dispatch']);
      expect(more).toEqual([]);
      expect(item).toMatchObject({ event_id: 'E1', kind: 'dispatch', attempts: 0, delivered_at: null });
      expect(JSON.parse(item!.payload)).toEqual({ a: 1 });
    });

    it('gives due items of the kinds asked, oldest first, leaving out those in flight', async () => {
      const { store, clock } = await fresh();
      await store.outbox.enqueue('callback', 'C1', 'T1', {});
      clock.now += 1;
      await store.outbox.enqueue('dispatch', 'D1', null, {});
      clock.now += 1;
      await store.outbox.enqueue('callback', 'C2', 'T2', {});
      const callbacks = await store.outbox.due(10, ['callback']);
      expect(callbacks.map((i) => i.event_id)).toEqual(['C1', 'C2']);
      expect((await store.outbox.due(10, ['callback', 'dispatch'], [callbacks[0]!.id])).map((i) => i.event_id)).toEqual(['D1', 'C2']);
      expect((await store.outbox.due(1, ['callback', 'dispatch'])).map((i) => i.event_id)).toEqual(['C1']);
      expect(await store.outbox.list('T2')).toHaveLength(1);
    });

    it('a deferred item waits for its next attempt with the error kept; a delivered one leaves the backlog', async () => {
      const { store, clock } = await fresh();
      await store.outbox.enqueue('callback', 'C1', 'T1', {});
      const [item] = await store.outbox.due(10, ['callback']);
      await store.outbox.deferred(item!.id, 'HTTP 503', clock.now + 5000);
      expect(await store.outbox.due(10, ['callback'])).toEqual([]);
      expect(await store.outbox.nextAttemptAt(['callback'])).toBe(clock.now + 5000);
      expect(await store.outbox.nextAttemptAt(['callback'], [item!.id])).toBeNull();
      expect(await store.outbox.backlog()).toMatchObject({ count: 1, last_error: 'HTTP 503' });
      clock.now += 5000;
      expect(await store.outbox.due(10, ['callback'])).toMatchObject([{ id: item!.id, attempts: 1, last_error: 'HTTP 503' }]);
      await store.outbox.delivered(item!.id);
      expect(await store.outbox.due(10, ['callback'])).toEqual([]);
      expect(await store.outbox.backlog()).toMatchObject({ count: 0 });
      expect((await store.outbox.list('T1'))[0]).toMatchObject({ attempts: 2, last_error: null });
      expect((await store.outbox.list('T1'))[0]!.delivered_at).not.toBeNull();
    });

    it('counts the backlog by kind, and prunes delivered items only', async () => {
      const { store, clock } = await fresh();
      await store.outbox.enqueue('callback', 'C1', 'T1', {});
      await store.outbox.enqueue('dispatch', 'D1', null, {});
      expect((await store.outbox.backlog(['dispatch'])).count).toBe(1);
      const [c1] = await store.outbox.due(10, ['callback']);
      await store.outbox.delivered(c1!.id);
      clock.now += 10_000;
      expect(await store.outbox.prune(clock.now, 100)).toBe(1);
      expect(await store.outbox.list('T1')).toEqual([]);
      expect((await store.outbox.backlog()).count).toBe(1);
    });

    it('claims an item for one daemon at a time, until delivered, deferred or its lease ran out', async () => {
      const { store, clock, again } = await fresh();
      const other = await again();
      await store.outbox.enqueue('callback', 'C1', 'T1', {});
      clock.now += 1;
      await store.outbox.enqueue('callback', 'C2', 'T2', {});
      const mine = await store.outbox.claim(1, ['callback'], 'daemon:a:1', 15_000);
      expect(mine).toMatchObject([{ event_id: 'C1', claimed_by: 'daemon:a:1', claim_expires_at: clock.now + 15_000 }]);
      // The other daemon gets what is left, and nothing while both are held.
      expect((await other.outbox.claim(10, ['callback'], 'daemon:b:2', 15_000)).map((i) => i.event_id)).toEqual(['C2']);
      expect(await other.outbox.claim(10, ['callback'], 'daemon:b:2', 15_000)).toEqual([]);
      expect(await store.outbox.claim(10, ['callback'], 'daemon:a:1', 15_000)).toEqual([]);
      // Nothing can be delivered before a claim lapses.
      expect(await store.outbox.nextAttemptAt(['callback'])).toBe(clock.now + 15_000);
      // A failed delivery gives the item back, due at its next attempt.
      await store.outbox.deferred(mine[0]!.id, 'HTTP 503', clock.now + 1000);
      expect((await store.outbox.list('T1'))[0]).toMatchObject({ claimed_by: null, claim_expires_at: null });
      clock.now += 1000;
      expect((await other.outbox.claim(10, ['callback'], 'daemon:b:2', 15_000)).map((i) => i.event_id)).toEqual(['C1']);
      await other.outbox.delivered(mine[0]!.id);
      // daemon b dies holding C2 (claimed 1 s ago): once its lease ran out, daemon a takes it over.
      clock.now += 13_999;
      expect(await store.outbox.claim(10, ['callback'], 'daemon:a:1', 15_000)).toEqual([]);
      clock.now += 1;
      expect(await store.outbox.claim(10, ['callback'], 'daemon:a:1', 15_000)).toMatchObject([
        { event_id: 'C2', claimed_by: 'daemon:a:1' },
      ]);
      expect((await store.outbox.backlog()).count).toBe(1);
    });

    it('two daemons claiming at once get different items, all of them between them', async () => {
      const { store, again } = await fresh();
      const other = await again();
      for (let i = 0; i < 30; i++) await store.outbox.enqueue('callback', `E${i}`, `T${i}`, {});
      const batches = await Promise.all(
        [store, other, store, other].map((s, i) => s.outbox.claim(10, ['callback'], `daemon:h:${i}`, 15_000)),
      );
      const ids = batches.flat().map((i) => i.event_id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(30);
    });

    it('claims due items of the kinds asked only, oldest first', async () => {
      const { store, clock } = await fresh();
      await store.outbox.enqueue('callback', 'C1', 'T1', {});
      clock.now += 1;
      await store.outbox.enqueue('dispatch', 'D1', null, {});
      clock.now += 1;
      await store.outbox.enqueue('callback', 'C2', 'T2', {});
      await store.outbox.enqueue('callback', 'C3', 'T3', {});
      const [c3] = await store.outbox.list('T3');
      await store.outbox.deferred(c3!.id, 'HTTP 500', clock.now + 60_000);
      const claimed = await store.outbox.claim(10, ['callback'], 'daemon:a:1', 15_000);
      expect(claimed.map((i) => i.event_id)).toEqual(['C1', 'C2']);
    });
  });
}
