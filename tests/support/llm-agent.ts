/**
 * The agent as the daemon builds it, against a fake OpenAI-compatible LLM on loopback: a real SQLite store in a temp
 * folder, the openai provider, and an in-process sender (the bridge's port) that records every answer. For tests of
 * the agent's own behaviour under the LLM (memory, the waiting line) without a daemon around it.
 */
import { join } from 'node:path';
import { buildAgent } from '../../src/daemon/agent/index.js';
import type { MessageSender } from '../../src/daemon/ports.js';
import { openStore } from '../../src/store/index.js';
import { tempDir, testSettings } from './daemon.js';
import { startFakeLlm, type Scripted } from './fake-llm.js';
import { EVENT_LIMIT_MS } from './limits.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export interface LlmAgentOptions {
  /** AICS_LLM_CONNECTIONS: turns that may wait for the LLM at once. */
  llmConnections: number;
  script: Scripted[];
  fallback: Scripted;
  /** Where the agent, the store, the LLM and the temp folder are closed, last first (the test's afterEach). */
  cleanups: (() => Promise<void> | void)[];
}

export async function startLlmAgent(o: LlmAgentOptions) {
  const llm = await startFakeLlm(o.script, o.fallback);
  o.cleanups.push(() => llm.close());
  const temp = tempDir();
  o.cleanups.push(() => temp.cleanup());
  const settings = testSettings(temp.dir, {
    db: join(temp.dir, 'agent.db'),
    llmBaseUrl: llm.baseUrl,
    llmModel: 'fake-model',
    agent: { quietMs: 0, maxWaitMs: 0, sendGapMs: 0, llmConnections: o.llmConnections },
  });
  const store = await openStore(settings.db);
  o.cleanups.push(() => store.close());
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
  /** Resolves once `count` answers were sent; woken by each send (the timer only bounds a hang). */
  const answers = async (count: number) => {
    const deadline = Date.now() + EVENT_LIMIT_MS;
    while (sent.length < count) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} answers (${sent.length} so far)`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 1000).unref();
      });
    }
  };
  const agent = buildAgent({ settings, store, sender, logger: silent });
  o.cleanups.push(() => agent.conversations.stop());
  let n = 0;
  const say = (from_id: string, content: string, msg_id = `m-${++n}`) =>
    agent.conversations.accept({ acc_id: '1688000001', from_id, from_name: '客户', content, msg_id });
  return { llm, agent, store, sent, say, answers };
}
