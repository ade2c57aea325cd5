/**
 * What an answered, idle customer costs the agent in memory: nothing held per conversation. The agent as the daemon
 * builds it (real SQLite store in a temp folder, the openai provider against a fake OpenAI-compatible server on
 * loopback); the answers go to an in-process sender (the bridge's port). Once every customer is answered the
 * conversation manager holds none of them, and a customer who writes again is answered with the earlier turn in
 * the LLM's context: the memory window is read back from the store, not kept in the process.
 */
import { afterEach, expect, it } from 'vitest';
import { startLlmAgent } from '../support/llm-agent.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const CUSTOMERS = 200;

it('answered customers leave nothing in memory; the next turn still knows the earlier one, from the store', async () => {
  const { llm, agent, sent, say, answers } = await startLlmAgent({
    llmConnections: 16,
    script: [],
    fallback: { text: '您好，名片 500张 45元起。' },
    cleanups,
  });

  await Promise.all(Array.from({ length: CUSTOMERS }, (_, i) => say(`idle_${i}`, `名片多少钱？(${i})`, `m-${i}`)));
  await answers(CUSTOMERS);
  await agent.conversations.drain();
  expect(new Set(sent.map((s) => s.to_id)).size).toBe(CUSTOMERS);
  expect(agent.conversations.active).toBe(0);

  await say('idle_7', '那1000张呢？', 'm-again');
  await answers(CUSTOMERS + 1);
  expect(sent.at(-1)!.to_id).toBe('idle_7');
  const context = llm.requests.at(-1)!.messages.map((m) => `${m.role}: ${m.content}`);
  expect(context).toEqual(expect.arrayContaining(['user: 名片多少钱？(7)', 'assistant: 您好，名片 500张 45元起。', 'user: 那1000张呢？']));
  await agent.conversations.drain();
  expect(agent.conversations.active).toBe(0);
});
