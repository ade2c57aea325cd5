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
  });
}
