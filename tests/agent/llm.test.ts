/**
 * The openai provider against a fake OpenAI-compatible server on loopback (a real HTTP server with scripted
 * answers, tool calls included), through the whole desk: 派单 after the customer confirms the model's proposal,
 * idempotent on a repeat; a slow or
 * failing LLM falls back to the rules; three failures in a row hand the customer to a human.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startDesk, type Desk } from '../support/desk.js';
import { startFakeLlm, type Scripted } from '../support/fake-llm.js';
import { startHttpSink } from '../support/http-sink.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function llmDesk(script: Scripted[], agent: Record<string, unknown> = {}) {
  const llm = await startFakeLlm(script);
  cleanups.push(() => llm.close());
  const dispatch = await startHttpSink('/dispatch');
  cleanups.push(() => dispatch.close());
  const d = await startDesk({
    agent: { quietMs: 100, maxWaitMs: 1000, sendGapMs: 0, llmTimeoutMs: 1000, ...agent },
    settings: { llmBaseUrl: llm.baseUrl, llmModel: 'fake-model', dispatchUrl: dispatch.url },
  });
  cleanups.push(() => d.stop());
  return { d, llm, dispatch };
}

const ORDER = { product: '宣传单', quantity: 1000, size: 'A4', material: '157g铜版纸', deadline: '3月1日前' };

async function say(d: Desk, from_id: string, content: string) {
  d.sim.pushMessage({ from_id, from_name: '陈经理', content });
  const [cmd] = await d.sim.nextCommands(1, 8000);
  return String(cmd!.data.content);
}

describe('the openai provider (a fake OpenAI-compatible server on loopback)', () => {
  it("propose_order reads the order back; the customer's 确认 dispatches it without asking the model; a repeat is not sent again", async () => {
    const { d, llm, dispatch } = await llmDesk([
      { tools: [{ name: 'propose_order', args: ORDER }] },
      { tools: [{ name: 'propose_order', args: ORDER }] },
    ]);
    const readBack = await say(d, 'c_llm', '帮我印 1000 张 A4 宣传单，157g 铜版纸，3月1日前要');
    expect(readBack).toContain('请核对订单：宣传单，数量 1000，A4，157g铜版纸，交期 3月1日前');
    // one message is never an order
    await quiet(300);
    expect(dispatch.received).toHaveLength(0);
    expect(await d.store.agent.orders('c_llm')).toHaveLength(0);

    expect(await say(d, 'c_llm', '确认')).toMatch(/已为您下单（单号 ORD_[0-9A-F]{16}）/);
    const [order] = await dispatch.waitFor(1);
    expect(order!.body).toMatchObject({ event: 'dispatch', customer_id: 'c_llm', customer_name: '陈经理', ...ORDER });
    // the yes was the confirmation step's, not the model's: one request so far
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0]).toMatchObject({ model: 'fake-model' });
    expect(llm.requests[0]!.messages[0]!.content).toContain('示例图文快印店');
    expect((llm.requests[0]!.tools as { function: { name: string } }[]).map((t) => t.function.name)).toEqual([
      'faq_lookup',
      'customer_tasks',
      'propose_order',
      'transfer_to_human',
    ]);

    // the same order proposed and confirmed again: the same order id, not dispatched twice
    expect(await say(d, 'c_llm', '再来一单一样的')).toContain('请核对订单');
    expect(llm.requests[1]!.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(await say(d, 'c_llm', '好的')).toMatch(/已为您下单/);
    await quiet(1000);
    expect(dispatch.received).toHaveLength(1);
    expect(await d.store.agent.orders('c_llm')).toHaveLength(1);
    expect(readFileSync(d.daemon.settings.logFile, 'utf8')).toMatch(
      /"msg":"派单 ORD_[0-9A-F]+: 陈经理 宣传单，数量 1000，A4，157g铜版纸，交期 3月1日前"/,
    );
    const log = await d.store.agent.log('c_llm');
    expect(log).toHaveLength(8);
    expect(log[1]).toMatchObject({ role: 'agent', provider: 'openai' });
    expect(log[1]!.tool_calls![0]).toMatchObject({ name: 'propose_order', args: ORDER, result: { awaiting_confirmation: true } });
    expect(log[3]!.tool_calls![0]).toMatchObject({ name: 'dispatch_order', args: { ...ORDER, customer: '陈经理' } });
  });

  it('an LLM cannot dispatch by itself: dispatch_order is not its tool', async () => {
    const { d, dispatch } = await llmDesk([{ tools: [{ name: 'dispatch_order', args: ORDER }] }]);
    const reply = await say(d, 'c_sneaky', '帮我印 1000 张 A4 宣传单');
    expect(reply).toContain('请核对订单');
    await quiet(500);
    expect(dispatch.received).toHaveLength(0);
    const log = await d.store.agent.log('c_sneaky');
    expect(log[1]!.tool_calls![0]).toMatchObject({ name: 'dispatch_order', error: 'unknown tool' });
  });

  it('a slow LLM (beyond AICS_LLM_TIMEOUT_MS) falls back to the rules: the customer still gets an answer', async () => {
    const { d } = await llmDesk([{ text: '太迟了', delayMs: 3000 }], { llmTimeoutMs: 300 });
    const started = Date.now();
    expect(await say(d, 'c_slow', '名片多少钱')).toContain('名片 500张 45元起');
    expect(Date.now() - started).toBeLessThan(2500);
    await expect.poll(async () => (await d.store.agent.log('c_slow'))[1]?.provider).toBe('rules (fallback: openai failed)');
  });

  it('a failing LLM (HTTP 500) or an invalid tool call falls back to the rules', async () => {
    const { d } = await llmDesk([{ status: 500 }, { tools: [{ name: 'propose_order', args: { product: '名片', quantity: -5 } }] }]);
    expect(await say(d, 'c_500', '能开发票吗')).toContain('增值税普通发票');
    expect(await say(d, 'c_500', '在哪里自提')).toContain('门店地址');
    await expect.poll(async () => (await d.store.agent.log('c_500')).length).toBe(4);
    const log = await d.store.agent.log('c_500');
    expect(log[3]!.tool_calls![0]).toMatchObject({ name: 'propose_order', error: expect.stringContaining('quantity') });
    expect((await d.store.agent.state('1688000001', 'c_500')).failures).toBe(2);
  });

  it('three failures in a row hand the customer to a human (the notice goes to the callback URL by default)', async () => {
    const { d, llm } = await llmDesk([], {});
    llm.fallback = { status: 500 };
    expect(await say(d, 'c_down', '名片多少钱')).toContain('元起');
    expect(await say(d, 'c_down', '工期多久')).toContain('工作日');
    expect(await say(d, 'c_down', '发票呢')).toContain('转接人工客服');
    const [notice] = await d.sink.waitFor(1);
    expect(notice!.body).toMatchObject({ event: 'handoff', customer_id: 'c_down', reason: expect.stringContaining('failed 3 times') });
    expect(readFileSync(d.daemon.settings.logFile, 'utf8')).toContain('转接人工 陈经理');
    // and silence afterwards
    await d.sim.pushMessageAndWaitAck({ from_id: 'c_down', content: '还在吗' });
    await quiet(600);
    expect(d.sim.commands.filter((c) => c.data.to_id === 'c_down')).toHaveLength(3);
  });

  it('a success in between resets the count', async () => {
    const { d, llm } = await llmDesk([{ status: 500 }, { status: 500 }, { text: '您好，在的' }, { status: 500 }]);
    await say(d, 'c_flaky', '名片多少钱');
    await say(d, 'c_flaky', '工期多久');
    expect(await say(d, 'c_flaky', '在吗')).toBe('您好，在的');
    expect(await say(d, 'c_flaky', '发票呢')).toContain('发票');
    expect(llm.requests).toHaveLength(4);
    expect((await d.store.agent.state('1688000001', 'c_flaky')).state).toBe('ai');
  });
});
