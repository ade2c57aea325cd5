/** ReplyStore: the agent's answers not yet sent, in the order written, refused as a whole beyond the cap. */
import { describe, expect, it } from 'vitest';
import type { QueuedReplyInput } from '../../../src/store/index.js';
import { fixtures, type StoreFactory } from './factory.js';

const part = (text: string): QueuedReplyInput => ({
  acc_id: 'a',
  from_id: 'c1',
  text,
  req_base: `agent-${text}`,
  handoff: false,
  provider: 'rules',
  latency_ms: 12,
  tool_calls: null,
});

export function repliesContract(factory: StoreFactory): void {
  const fresh = fixtures(factory);

  describe(`${factory.name} store: reply queue`, () => {
    it('queues the parts of a reply in order, refuses them all beyond the cap, and forgets a sent one', async () => {
      const { store } = await fresh();
      const ids = await store.replies.enqueue(
        [part('一'), { ...part('二'), handoff: true, tool_calls: [{ name: 'transfer_to_human', args: {} }] }],
        3,
      );
      expect(ids).toHaveLength(2);
      expect(await store.replies.enqueue([part('三'), part('四')], 3)).toBeNull();
      expect(await store.replies.count()).toBe(2);
      const queued = await store.replies.list();
      expect(queued.map((r) => [r.text, r.handoff, r.sends])).toEqual([
        ['一', false, 0],
        ['二', true, 0],
      ]);
      expect(queued[1]!.tool_calls).toEqual([{ name: 'transfer_to_human', args: {} }]);
      await store.replies.progress(ids![0]!, 2, 3);
      expect((await store.replies.list(1))[0]).toMatchObject({ id: ids![0], attempt: 2, sends: 3 });
      await store.replies.remove(ids![0]!);
      expect((await store.replies.list()).map((r) => r.text)).toEqual(['二']);
    });
  });
}
