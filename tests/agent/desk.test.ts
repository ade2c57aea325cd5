/**
 * The agent end to end through real sockets, with the rules provider: customers' messages from the 轻简 simulator
 * → the daemon (engine, then agent) → the replies the simulator receives; handoff notices reach a real HTTP sink;
 * `aics agent release` (the real binary, another process) gives a conversation back.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { aics, json } from '../support/cli.js';
import { SEED } from '../support/daemon.js';
import { startDesk, type Desk } from '../support/desk.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';

const desks: Desk[] = [];
const sinks: HttpSink[] = [];
afterEach(async () => {
  for (const d of desks.splice(0)) await d.stop();
  for (const s of sinks.splice(0)) await s.close();
});
const FAST = { quietMs: 150, maxWaitMs: 1000, sendGapMs: 0 };
async function desk(...args: Parameters<typeof startDesk>) {
  const d = await startDesk(...args);
  desks.push(d);
  return d;
}
const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));
const texts = (d: Desk, to: string) => d.sim.commands.filter((c) => c.data.to_id === to).map((c) => String(c.data.content));

describe('the agent answers customers through the bridge (rules provider)', () => {
  it('a price question gets the FAQ answer, logged in the chat log with the provider', async () => {
    const d = await desk({ agent: FAST });
    d.sim.pushMessage({ from_id: 'c_price', from_name: '小王', content: '你好，名片多少钱？' });
    const [cmd] = await d.sim.nextCommands(1);
    expect(cmd!.data).toMatchObject({ to_id: 'c_price', acc_id: '1688000001' });
    expect(String(cmd!.data.content)).toContain('名片 500张 45元起');
    expect(cmd!.req_id).toMatch(/^AGENT_/);
    await expect.poll(async () => (await d.store.agent.log('c_price')).map((m) => m.role)).toEqual(['customer', 'agent']);
    const [, out] = await d.store.agent.log('c_price');
    expect(out).toMatchObject({ provider: 'rules', role: 'agent' });
  });

  it('转人工 → holding reply, 转接人工 in the log file, the notice reaches the handoff sink, silence after; aics agent release brings it back', async () => {
    const handoffSink = await startHttpSink('/handoff');
    sinks.push(handoffSink);
    const d = await desk({ agent: { ...FAST, handoffUrl: handoffSink.url } });
    d.sim.pushMessage({ from_id: 'c_angry', from_name: '老李', content: '我要投诉，转人工' });
    const [hold] = await d.sim.nextCommands(1);
    expect(String(hold!.data.content)).toContain('转接人工客服');
    const [notice] = await handoffSink.waitFor(1);
    expect(notice!.body).toMatchObject({ event: 'handoff', customer_id: 'c_angry', customer_name: '老李', acc_id: '1688000001' });
    expect(notice!.headers['x-aics-kind']).toBe('handoff');
    await expect.poll(() => readFileSync(d.daemon.settings.logFile, 'utf8')).toMatch(/"msg":"转接人工 老李/);

    // silent while a human has the conversation
    await d.sim.pushMessageAndWaitAck({ from_id: 'c_angry', content: '价格多少' });
    await quiet(500);
    expect(texts(d, 'c_angry')).toHaveLength(1);

    const r = await aics(['agent', 'release', 'c_angry', '--db', d.db, '--json'], { cwd: d.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ customer: 'c_angry', released: 1 });
    d.sim.pushMessage({ from_id: 'c_angry', content: '价格多少' });
    const [answer] = await d.sim.nextCommands(1);
    expect(String(answer!.data.content)).toContain('元起');
    expect(handoffSink.received).toHaveLength(1);
  });

  it('a human reply on our account (is_self) pauses the agent for that customer only', async () => {
    const d = await desk({ agent: FAST });
    await d.sim.pushMessageAndWaitAck({ from_id: 'c_vip', content: '发票怎么开' });
    // the operator answers within the quiet window: the agent keeps out of it
    await d.sim.pushMessageAndWaitAck({ from_id: 'c_vip', content: '我来处理，您稍等', is_self: true });
    await quiet(400);
    await d.sim.pushMessageAndWaitAck({ from_id: 'c_vip', content: '地址在哪' });
    d.sim.pushMessage({ from_id: 'c_other', content: '地址在哪' });
    const [cmd] = await d.sim.nextCommands(1);
    expect(cmd!.data.to_id).toBe('c_other');
    await quiet(400);
    expect(texts(d, 'c_vip')).toEqual([]);
    const log = await d.store.agent.log('c_vip');
    expect(log.map((m) => m.role)).toEqual(['customer', 'human', 'customer']);
    expect((await d.store.agent.state('1688000001', 'c_vip')).state).toBe('takeover');
  });

  it('three quick messages get one answer', async () => {
    const d = await desk({ agent: { ...FAST, quietMs: 300 } });
    for (const content of ['你好', '名片', '多少钱？']) {
      await d.sim.pushMessageAndWaitAck({ from_id: 'c_burst', content });
      await quiet(50);
    }
    const [cmd] = await d.sim.nextCommands(1);
    expect(String(cmd!.data.content)).toContain('元起');
    await quiet(700);
    expect(texts(d, 'c_burst')).toHaveLength(1);
  });

  it("a message that fires a task gets the task's action and no agent answer", async () => {
    const d = await desk({ agent: FAST });
    await d.receive({ ...SEED.receive });
    await d.until('TASK_20260227_001', 'waiting');
    d.sim.pushMessage({ from_id: 'customer_123', from_name: '小明', content: '好的谢谢' });
    const [cmd] = await d.sim.nextCommands(1);
    expect(cmd!.data).toMatchObject({ content: '这是您要的文件' });
    await d.until('TASK_20260227_001', 'completed');
    await quiet(500);
    expect(texts(d, 'customer_123')).toEqual(['这是您要的文件']);
    expect((await d.store.agent.log('customer_123')).map((m) => m.role)).toEqual(['customer']);
  });

  it('an image the customer sends is kept with the conversation and rides on the order (派单)', async () => {
    const dispatchSink = await startHttpSink('/dispatch');
    sinks.push(dispatchSink);
    const d = await desk({ agent: FAST, settings: { dispatchUrl: dispatchSink.url } });
    d.sim.pushMessage({
      from_id: 'c_img',
      content: '',
      msg_type: 'image',
      file: { name: 'logo.png', url: 'https://cdn.example.com/logo.png', size: 2048 },
    });
    const [ack] = await d.sim.nextCommands(1);
    expect(String(ack!.data.content)).toContain('收到您发来的文件');
    d.sim.pushMessage({ from_id: 'c_img', from_name: '张总', content: '下单：名片 500张 90x54mm 300g铜版纸 周五前' });
    const [readBack] = await d.sim.nextCommands(1);
    expect(String(readBack!.data.content)).toContain('请核对订单：名片，数量 500，90x54mm，300g铜版纸，交期 周五前，文件 1 个');
    expect(dispatchSink.received).toHaveLength(0);
    d.sim.pushMessage({ from_id: 'c_img', from_name: '张总', content: '确认' });
    const [confirm] = await d.sim.nextCommands(1);
    expect(String(confirm!.data.content)).toMatch(/已为您下单（单号 ORD_[0-9A-F]{16}）/);
    const [order] = await dispatchSink.waitFor(1);
    expect(order!.body).toMatchObject({
      event: 'dispatch',
      customer_id: 'c_img',
      product: '名片',
      quantity: 500,
      size: '90x54mm',
      material: '300g铜版纸',
      deadline: '周五前',
      attachments: [{ name: 'logo.png', url: 'https://cdn.example.com/logo.png', msg_type: 'image' }],
    });
    await expect.poll(() => readFileSync(d.daemon.settings.logFile, 'utf8')).toMatch(/"msg":"派单 ORD_/);
  });
});
