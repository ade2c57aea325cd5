/**
 * What an answered, idle customer costs the agent in memory: nothing held per conversation. The agent as the daemon
 * builds it (real SQLite store in a temp folder, the openai provider against a fake OpenAI-compatible server on
 * loopback); the answers go to an in-process sender (the bridge's port). Once every customer is answered the
 * conversation manager holds none of them, and a customer who writes again is answered with the earlier turn in
 * the LLM's context: the memory window is read back from the store, not kept in the process.
 */
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { buildAgent } from '../../src/daemon/agent/index.js';
import type { MessageSender } from '../../src/daemon/ports.js';
import { openStore } from '../../src/store/index.js';
import { tempDir, testSettings } from '../support/daemon.js';
import { startFakeLlm } from '../support/fake-llm.js';
import { EVENT_LIMIT_MS } from '../support/limits.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const CUSTOMERS = 200;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

it('answered customers leave nothing in memory; the next turn still knows the earlier one, from the store', async () => {
  const llm = await startFakeLlm([], { text: '您好，名片 500张 45元起。' });
  cleanups.push(() => llm.close());
  const temp = tempDir();
  cleanups.push(() => temp.cleanup());
  const settings = testSettings(temp.dir, {
    db: join(temp.dir, 'agent.db'),
    llmBaseUrl: llm.baseUrl,
    llmModel: 'fake-model',
    agent: { quietMs: 0, maxWaitMs: 0, sendGapMs: 0, llmConnections: 16 },
  });
  const store = await openStore(settings.db);
  cleanups.push(() => store.close());
  const sent: { to_id: string; content: string }[] = [];
  const waiters: (() => void)[] = [];
  const sender: MessageSender = {
    async sendText(cmd) {
      sent.push({ to_id: cmd.to_id, content: cmd.content });
      for (const w of waiters.splice(0)) w();
      return { msg_id: `r-${sent.length}` };
    },
    async sendFile() {
      return {};
    },
  };
  const until = async (count: number) => {
    const deadline = Date.now() + EVENT_LIMIT_MS;
    while (sent.length < count) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} answers (${sent.length} so far)`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 1000).unref(); // bounds a hang only; the send wakes the wait
      });
    }
  };
  const agent = buildAgent({ settings, store, sender, logger: silent });
  cleanups.push(() => agent.conversations.stop());

  await Promise.all(
    Array.from({ length: CUSTOMERS }, (_, i) =>
      agent.conversations.accept({ acc_id: '1688000001', from_id: `idle_${i}`, content: `名片多少钱？(${i})`, msg_id: `m-${i}` }),
    ),
  );
  await until(CUSTOMERS);
  await agent.conversations.drain();
  expect(new Set(sent.map((s) => s.to_id)).size).toBe(CUSTOMERS);
  expect(agent.conversations.active).toBe(0);

  await agent.conversations.accept({ acc_id: '1688000001', from_id: 'idle_7', content: '那1000张呢？', msg_id: 'm-again' });
  await until(CUSTOMERS + 1);
  expect(sent.at(-1)!.to_id).toBe('idle_7');
  const context = llm.requests.at(-1)!.messages.map((m) => `${m.role}: ${m.content}`);
  expect(context).toEqual(expect.arrayContaining(['user: 名片多少钱？(7)', 'assistant: 您好，名片 500张 45元起。', 'user: 那1000张呢？']));
  await agent.conversations.drain();
  expect(agent.conversations.active).toBe(0);
});
