/** ControlStore: the pause every daemon on the store obeys. */
import { describe, expect, it } from 'vitest';
import { fixtures, type StoreFactory } from './factory.js';

export function controlContract(factory: StoreFactory): void {
  const fresh = fixtures(factory);

  describe(`${factory.name} store: pause`, () => {
    it('pausing twice keeps the first pause; resume lifts it once; another connection sees it', async () => {
      const { store, clock, again } = await fresh();
      expect(await store.control.paused()).toBeNull();
      const first = await store.control.pause('盘点', 'cli:root');
      expect(first).toMatchObject({ by: 'cli:root', reason: '盘点' });
      clock.now += 1000;
      expect(await store.control.pause('other', 'cli:x')).toEqual(first);
      expect(await (await again()).control.paused()).toEqual(first);
      expect(await store.control.resume()).toEqual(first);
      expect(await store.control.resume()).toBeNull();
      expect(await store.control.paused()).toBeNull();
    });
  });
}
