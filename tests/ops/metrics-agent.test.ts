/**
 * The agent's side of GET /metrics on a whole desk (the 轻简 simulator, a fake OpenAI-compatible server, sinks for
 * Tianwang): a 派单 proposed by tool call and confirmed by the customer, an LLM failure that falls back to the rules, a 转接人工 — each counted.
 */
import { afterEach, expect, it } from 'vitest';
import { call, until } from '../support/daemon.js';
import { startDesk } from '../support/desk.js';
import { startFakeLlm } from '../support/fake-llm.js';
import { startHttpSink } from '../support/http-sink.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sample = (text: string, name: string) =>
  Number(new RegExp(`^${name.replace(/[{}".]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

it('counts agent turns with their provider and latency, LLM errors, 派单 and 转接人工', async () => {
  const ORDER = { product: '宣传单', quantity: 1000, size: 'A4', material: '157g铜版纸', deadline: '3月1日前' };
  const llm = await startFakeLlm([
    { tools: [{ name: 'propose_order', args: ORDER }] },
    { status: 500 },
    { tools: [{ name: 'transfer_to_human', args: { reason: '客户投诉' } }] },
  ]);
  cleanups.push(() => llm.close());
  const dispatch = await startHttpSink('/dispatch');
  cleanups.push(() => dispatch.close());
  const d = await startDesk({
    agent: { quietMs: 100, maxWaitMs: 1000, sendGapMs: 0, llmTimeoutMs: 2000 },
    settings: { llmBaseUrl: llm.baseUrl, llmModel: 'fake-model', dispatchUrl: dispatch.url },
  });
  cleanups.push(() => d.stop());
  const say = async (content: string) => {
    d.sim.pushMessage({ from_id: 'c_m', from_name: '陈经理', content });
    await d.sim.nextCommands(1, 15_000);
  };
  await say('帮我印 1000 张 A4 宣传单，157g 铜版纸，3月1日前要'); // the LLM proposes it: read back, not sent
  await say('确认'); // the confirmation step dispatches it (派单) without asking the model
  await dispatch.waitFor(1, 15_000);
  await say('你们几点下班'); // the LLM fails: the rules answer
  await say('我要投诉'); // the LLM hands the customer to a human

  const text = await until(
    async () => {
      const t = (await call(d.url, 'GET', '/metrics')).text;
      return sample(t, 'aics_dispatches_total{repeat="false"}') === 1 &&
        sample(t, 'aics_llm_errors_total{provider="openai"}') >= 1 &&
        sample(t, 'aics_handoffs_total') === 1
        ? t
        : null;
    },
    15_000,
    'the agent counted',
  );
  expect(sample(text, 'aics_agent_turns_total{provider="openai",outcome="answered"}')).toBeGreaterThanOrEqual(1);
  expect(text).toMatch(/^aics_agent_turns_total\{provider="rules \(fallback: openai failed\)",outcome="answered"\} 1$/m);
  expect(sample(text, 'aics_llm_latency_seconds_count{provider="openai"}')).toBeGreaterThanOrEqual(1);
}, 120_000);
