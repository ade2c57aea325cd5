/**
 * Many customers writing at once to an agent on the openai provider: at most AICS_LLM_CONNECTIONS requests reach
 * the LLM at a time, the others wait their turn without that wait counting against AICS_LLM_TIMEOUT_MS (so a burst
 * does not turn into rules fallbacks and handoffs), and every customer is answered once by the LLM.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startDesk } from '../support/desk.js';
import { until } from '../support/daemon.js';
import { startFakeLlm } from '../support/fake-llm.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a burst of customers on the openai provider', () => {
  it('at most AICS_LLM_CONNECTIONS requests at once; the queue does not eat the timeout; each customer answered once', async () => {
    const CUSTOMERS = 40;
    // 40 customers through 2 connections at 300 ms each: the last one waits ~6 s, longer than the 5 s timeout.
    const llm = await startFakeLlm([], { text: '您好，名片500张45元起。', delayMs: 300 });
    cleanups.push(() => llm.close());
    const d = await startDesk({
      agent: { quietMs: 0, maxWaitMs: 0, sendGapMs: 0, llmTimeoutMs: 5000, llmConnections: 2 },
      settings: { llmBaseUrl: llm.baseUrl, llmModel: 'fake-model' },
    });
    cleanups.push(() => d.stop());

    for (let i = 0; i < CUSTOMERS; i++) d.sim.pushMessage({ from_id: `burst_${i}`, from_name: '客户', content: '名片多少钱？' });
    const sends = await d.sim.nextCommands(CUSTOMERS, 120_000);

    const to = sends.map((c) => String(c.data.to_id));
    expect(new Set(to).size).toBe(CUSTOMERS);
    // The LLM wrote every answer: none fell back to the rules because it waited for a connection.
    for (const c of sends) expect(String(c.data.content)).toBe('您好，名片500张45元起。');
    expect(llm.requests).toHaveLength(CUSTOMERS);
    expect(llm.maxInFlight).toBeLessThanOrEqual(2);
    // One answer each in the chat log (written once the bridge acked the send).
    for (let i = 0; i < CUSTOMERS; i++) {
      const agentRows = await until(
        async () => {
          const rows = (await d.store.agent.log(`burst_${i}`)).filter((m) => m.role === 'agent');
          return rows.length ? rows : null;
        },
        undefined,
        `burst_${i}'s answer in the chat log`,
      );
      expect(agentRows, `burst_${i}`).toHaveLength(1);
      expect(agentRows[0]!.provider).toBe('openai');
    }
  }, 180_000);
});
