/** CallbackStore: what the callback sink received, as received. */
import { describe, expect, it } from 'vitest';
import { fixtures, type StoreFactory } from './factory.js';

export function callbacksContract(factory: StoreFactory): void {
  const fresh = fixtures(factory);

  describe(`${factory.name} store: received callbacks`, () => {
    it('keeps each callback with its ids and sender, duplicates included, and lists one task’s', async () => {
      const { store } = await fresh();
      const body = { event_id: 'T1:completed:1', task_id: 'T1', status: 'completed', attempts: 1 };
      const first = await store.callbacks.record({ body, remoteAddress: '127.0.0.1', signature: 'sha256=ab' });
      expect(first).toMatchObject({
        event_id: 'T1:completed:1',
        task_id: 'T1',
        status: 'completed',
        body,
        remote_address: '127.0.0.1',
        signature: 'sha256=ab',
      });
      await store.callbacks.record({ body });
      await store.callbacks.record({ body: { task_id: 'T2', status: 'failed' } });
      await store.callbacks.record({ body: 'not an object' });
      const t1 = await store.callbacks.list({ taskId: 'T1' });
      expect(t1.map((c) => c.event_id)).toEqual(['T1:completed:1', 'T1:completed:1']);
      expect(t1[0]!.id).toBe(first.id);
      const all = await store.callbacks.list();
      expect(all).toHaveLength(4);
      expect(all[3]).toMatchObject({ task_id: null, body: 'not an object' });
      expect(await store.callbacks.list({ limit: 1 })).toHaveLength(1);
    });

    it('prunes callbacks received before a time', async () => {
      const { store, clock } = await fresh();
      await store.callbacks.record({ body: { task_id: 'T1' } });
      clock.now += 1000;
      await store.callbacks.record({ body: { task_id: 'T2' } });
      expect(await store.callbacks.prune(clock.now, 100)).toBe(1);
      expect((await store.callbacks.list()).map((c) => c.task_id)).toEqual(['T2']);
    });
  });
}
