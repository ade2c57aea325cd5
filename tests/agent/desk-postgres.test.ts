/**
 * The desk on PostgreSQL: the same daemon, simulator and sinks as tests/agent/desk.test.ts, with `--db` a
 * postgres:// URL. One customer's conversation takes an order (派单) and then asks for a human (转接人工): both reach
 * their receivers through the outbox, and the chat log, the order and the conversation's state are in the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDesk, type Desk } from '../support/desk.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres.js';

const FAST = { quietMs: 150, maxWaitMs: 1000, sendGapMs: 0 };

describe.skipIf(!postgresAvailable())('the agent on a PostgreSQL store', () => {
  let server: PostgresServer;
  const opened: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    for (const o of opened.splice(0).reverse()) await o.close();
    await server?.stop();
  });

  it('a customer orders (派单), then asks for a human (转接人工): the order and the notice go out once, all of it stored', async () => {
    const dispatchSink: HttpSink = await startHttpSink('/dispatch');
    const handoffSink: HttpSink = await startHttpSink('/handoff');
    opened.push(dispatchSink, handoffSink);
    const db = await server.createDatabase();
    const d: Desk = await startDesk({ agent: { ...FAST, handoffUrl: handoffSink.url }, settings: { db, dispatchUrl: dispatchSink.url } });
    opened.push({ close: () => d.stop() });

    d.sim.pushMessage({ from_id: 'c_pg', from_name: '张总', content: '下单：名片 500张 90x54mm 300g铜版纸 周五前' });
    const [readBack] = await d.sim.nextCommands(1);
    expect(String(readBack!.data.content)).toContain('请核对订单：名片，数量 500');
    d.sim.pushMessage({ from_id: 'c_pg', from_name: '张总', content: '确认' });
    const [confirm] = await d.sim.nextCommands(1);
    const orderId = /单号 (ORD_[0-9A-F]{16})/.exec(String(confirm!.data.content))?.[1];
    expect(orderId).toBeDefined();
    const [order] = await dispatchSink.waitFor(1);
    expect(order!.body).toMatchObject({ event: 'dispatch', order_id: orderId, customer_id: 'c_pg', product: '名片', quantity: 500 });

    d.sim.pushMessage({ from_id: 'c_pg', from_name: '张总', content: '我要投诉，转人工' });
    const [hold] = await d.sim.nextCommands(1);
    expect(String(hold!.data.content)).toContain('转接人工客服');
    const [notice] = await handoffSink.waitFor(1);
    expect(notice!.body).toMatchObject({ event: 'handoff', customer_id: 'c_pg', acc_id: '1688000001' });

    expect(await d.store.agent.orders('c_pg')).toMatchObject([{ order_id: orderId, from_id: 'c_pg' }]);
    expect((await d.store.agent.state('1688000001', 'c_pg')).state).toBe('human');
    await expect.poll(async () => (await d.store.outbox.backlog()).count).toBe(0);
    const roles = (await d.store.agent.log('c_pg')).map((m) => m.role);
    expect(roles.filter((r) => r === 'customer')).toHaveLength(3);
    expect(roles.filter((r) => r === 'agent')).toHaveLength(3);
    expect(dispatchSink.received).toHaveLength(1);
    expect(handoffSink.received).toHaveLength(1);
  });
});
