/**
 * Customers waiting for the LLM (more of them than AICS_LLM_CONNECTIONS) wait in line as conversations, not as turns
 * already started: what a customer adds while in line joins that turn (one answer to both messages, one request),
 * and stopping the agent still answers everyone in line, once each. The agent as the daemon builds it (real SQLite
 * store in a temp folder, the openai provider against a fake OpenAI-compatible server on loopback); the answers go
 * to an in-process sender (the bridge's port).
 */
import { afterEach, expect, it } from 'vitest';
import { until } from '../support/daemon.js';
import type { Scripted } from '../support/fake-llm.js';
import { startLlmAgent } from '../support/llm-agent.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const agentWith = (llmConnections: number, script: Scripted[], fallback: Scripted) =>
  startLlmAgent({ llmConnections, script, fallback, cleanups });

it('a customer who writes again while waiting in line gets one answer to both messages, from one request', async () => {
  let release!: () => void;
  const hold = new Promise<void>((r) => (release = r));
  const { llm, agent, sent, say } = await agentWith(1, [{ text: '先回答A。', hold }], { text: '两句都收到了。' });

  await say('line_a', '名片多少钱？');
  // A holds the only place until the test releases its answer: B waits in line meanwhile.
  await until(() => llm.requests.length === 1, undefined, "A's request at the LLM");
  await say('line_b', '我要印名片');
  // B's burst is complete (no quiet window): B is in line, and what B adds now joins that turn.
  await until(() => agent.conversations.waiting === 1, undefined, 'B in line');
  await say('line_b', '500张');
  release();
  await until(() => sent.length >= 2, undefined, 'the answers to A and B');
  await agent.conversations.drain();

  expect(sent.filter((s) => s.to_id === 'line_b')).toEqual([{ to_id: 'line_b', content: '两句都收到了。' }]);
  expect(llm.requests).toHaveLength(2);
  const b = llm.requests[1]!.messages;
  expect(b.at(-1)).toEqual({ role: 'user', content: '我要印名片\n500张' });
  expect(b[0]!.content).toContain('客户：客户（line_b）');
  expect(agent.conversations.active).toBe(0);
});

it('stop() answers every customer still waiting in line, once each, never more than AICS_LLM_CONNECTIONS at once', async () => {
  const CUSTOMERS = 30;
  const { llm, agent, sent, say } = await agentWith(2, [], { text: '您好，名片500张45元起。', delayMs: 20 });

  await Promise.all(Array.from({ length: CUSTOMERS }, (_, i) => say(`stop_${i}`, `名片多少钱？(${i})`)));
  await agent.conversations.stop();

  const to = sent.map((s) => s.to_id).sort();
  expect(to).toEqual(Array.from({ length: CUSTOMERS }, (_, i) => `stop_${i}`).sort());
  expect(llm.requests).toHaveLength(CUSTOMERS);
  expect(llm.maxInFlight).toBeLessThanOrEqual(2);
  expect(agent.conversations.active).toBe(0);
});
