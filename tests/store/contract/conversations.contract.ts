/** ConversationStore: the chat log, who answers a conversation, 转接人工 and 派单 with their outbox items. */
import { describe, expect, it } from 'vitest';
import { conversationKey } from '../../../src/store/index.js';
import { fixtures, type StoreFactory } from './factory.js';

export function conversationsContract(factory: StoreFactory): void {
  const fresh = fixtures(factory);

  describe(`${factory.name} store: conversations`, () => {
    it('logs messages and reads a conversation back oldest first, with files and tool calls', async () => {
      const { store, clock } = await fresh();
      const file = { name: 'ref.png', url: 'https://x/ref.png' };
      await store.agent.logMessage({ acc_id: 'a', from_id: 'c1', role: 'customer', text: '你好', msg_id: 'm-1' });
      clock.now += 1000;
      const second = await store.agent.logMessage({ acc_id: 'a', from_id: 'c1', role: 'customer', text: '', msg_type: 'image', file });
      await store.agent.logMessage({
        acc_id: 'a',
        from_id: 'c1',
        role: 'agent',
        text: '您好',
        provider: 'rules',
        tool_calls: [{ name: 'faq', args: { q: 1 } }],
      });
      await store.agent.logMessage({ acc_id: 'b', from_id: 'c1', role: 'customer', text: '另一个号' });
      const history = await store.agent.history('a', 'c1', 10);
      expect(history.map((m) => m.text)).toEqual(['你好', '', '您好']);
      expect(history[0]).toMatchObject({ conv: conversationKey('a', 'c1'), role: 'customer', msg_id: 'm-1', msg_type: 'text', file: null });
      expect(history[2]).toMatchObject({ provider: 'rules', tool_calls: [{ name: 'faq', args: { q: 1 } }] });
      expect((await store.agent.history('a', 'c1', 1, second)).map((m) => m.text)).toEqual(['你好']);
      expect((await store.agent.log('c1')).map((m) => m.text)).toEqual(['你好', '', '您好', '另一个号']);
      expect((await store.agent.log('c1', { accId: 'b' })).map((m) => m.text)).toEqual(['另一个号']);
      expect(await store.agent.attachments('a', 'c1')).toMatchObject([{ ...file, msg_type: 'image' }]);
      expect(await store.agent.since(clock.now)).toHaveLength(3);
      expect(await store.agent.prune(clock.now, 100)).toBe(1);
    });

    it('a conversation is the AI’s until a human takes over, for a while', async () => {
      const { store, clock } = await fresh();
      expect(await store.agent.state('a', 'c1')).toMatchObject({ state: 'ai', failures: 0 });
      await store.agent.takeover('a', 'c1', clock.now + 60_000);
      expect(await store.agent.state('a', 'c1')).toMatchObject({ state: 'takeover' });
      expect((await store.agent.withHumans()).map((c) => c.conv)).toEqual([conversationKey('a', 'c1')]);
      clock.now += 60_000;
      expect(await store.agent.state('a', 'c1')).toMatchObject({ state: 'ai' });
      expect(await store.agent.withHumans()).toEqual([]);
    });

    it('转接人工 once, with its notice queued; release gives it back', async () => {
      const { store } = await fresh();
      expect(await store.agent.handoff('a', 'c1', '客户要求人工', null, { note: 'x' })).toBe(true);
      expect(await store.agent.handoff('a', 'c1', 'again', null, {})).toBe(false);
      expect(await store.agent.state('a', 'c1')).toMatchObject({ state: 'human', reason: '客户要求人工' });
      const notices = await store.outbox.due(10, ['handoff']);
      expect(notices).toHaveLength(1);
      expect(JSON.parse(notices[0]!.payload)).toMatchObject({
        event: 'handoff',
        acc_id: 'a',
        customer_id: 'c1',
        reason: '客户要求人工',
        note: 'x',
      });
      expect(await store.agent.release('c1')).toBe(1);
      expect(await store.agent.state('a', 'c1')).toMatchObject({ state: 'ai' });
      expect(await store.agent.release('c1', 'a')).toBe(0);
    });

    it('counts LLM failures in a row until reset', async () => {
      const { store } = await fresh();
      expect(await store.agent.recordFailure('a', 'c1')).toBe(1);
      expect(await store.agent.recordFailure('a', 'c1')).toBe(2);
      await store.agent.resetFailures('a', 'c1');
      expect((await store.agent.state('a', 'c1')).failures).toBe(0);
    });

    it('two daemons handing one conversation over at once: one hands it over, one notice; one order of two at once', async () => {
      const { store, again } = await fresh();
      const other = await again();
      const handoffs = await Promise.all([store, other, store, other].map((s) => s.agent.handoff('a', 'c2', '转人工', null, {})));
      expect(handoffs.filter(Boolean)).toHaveLength(1);
      expect(await store.outbox.due(10, ['handoff'])).toHaveLength(1);
      const order = { order_id: 'O2', acc_id: 'a', from_id: 'c2', fields: {} };
      const orders = await Promise.all([store, other].map((s) => s.agent.dispatchOrder(order, {})));
      expect(orders.map((o) => o.created).sort()).toEqual([false, true]);
      expect(await store.outbox.due(10, ['dispatch'])).toHaveLength(1);
    });

    it('派单 stores an order once and queues it once', async () => {
      const { store } = await fresh();
      const order = { order_id: 'O1', acc_id: 'a', from_id: 'c1', fields: { product: '名片', qty: 2 } };
      const first = await store.agent.dispatchOrder(order, { customer_id: 'c1' });
      expect(first).toMatchObject({
        created: true,
        order: { order_id: 'O1', conv: conversationKey('a', 'c1'), fields: { product: '名片', qty: 2 } },
      });
      expect((await store.agent.dispatchOrder({ ...order, fields: {} }, {})).created).toBe(false);
      expect(await store.agent.orders('c1')).toMatchObject([{ order_id: 'O1', fields: { product: '名片' } }]);
      const queued = await store.outbox.due(10, ['dispatch']);
      expect(queued.map((i) => i.event_id)).toEqual(['O1']);
      expect(JSON.parse(queued[0]!.payload)).toMatchObject({ event: 'dispatch', order_id: 'O1', customer_id: 'c1' });
    });
  });
}
