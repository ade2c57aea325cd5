/**
 * A fake OpenAI-compatible endpoint on loopback: a real node:http server answering POST /v1/chat/completions with
 * scripted replies (text, tool calls, an HTTP error, or a delay), and recording every request it got. When the
 * script runs out, `fallback` answers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Scripted = (
  | { text: string; delayMs?: number }
  | { tools: { name: string; args: unknown }[]; text?: string; delayMs?: number }
  | { status: number; delayMs?: number }
  | { raw: string; delayMs?: number }
) & {
  /** The answer waits for this (the test releases it once it has done what must happen meanwhile). */
  hold?: Promise<unknown>;
};

export interface FakeLlm {
  /** http://127.0.0.1:PORT/v1 — what AICS_LLM_BASE_URL takes. */
  baseUrl: string;
  requests: { model: string; messages: { role: string; content: string | null }[]; tools?: unknown[] }[];
  script: Scripted[];
  fallback: Scripted;
  /** Requests being answered now, and the most at once so far. */
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

let seq = 0;

export async function startFakeLlm(script: Scripted[] = [], fallback: Scripted = { text: '好的' }): Promise<FakeLlm> {
  const llm: FakeLlm = {
    baseUrl: '',
    requests: [],
    script,
    fallback,
    inFlight: 0,
    maxInFlight: 0,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404).end();
        return;
      }
      llm.requests.push(JSON.parse(raw));
      llm.maxInFlight = Math.max(llm.maxInFlight, ++llm.inFlight);
      res.on('close', () => llm.inFlight--);
      const step = llm.script.shift() ?? llm.fallback;
      const answer = () => {
        if (res.destroyed) return;
        if ('status' in step) {
          res
            .writeHead(step.status, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: { message: 'scripted failure', type: 'server_error' } }));
          return;
        }
        if ('raw' in step) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(step.raw);
          return;
        }
        const id = ++seq;
        const message =
          'tools' in step
            ? {
                role: 'assistant',
                content: step.text ?? null,
                tool_calls: step.tools.map((t, i) => ({
                  id: `call_${id}_${i}`,
                  type: 'function',
                  function: { name: t.name, arguments: typeof t.args === 'string' ? t.args : JSON.stringify(t.args) },
                })),
              }
            : { role: 'assistant', content: step.text };
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: `chatcmpl-${id}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: 'fake',
            choices: [{ index: 0, message, finish_reason: 'tools' in step ? 'tool_calls' : 'stop' }],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          }),
        );
      };
      const go = () => (step.delayMs ? setTimeout(answer, step.delayMs) : answer());
      if (step.hold) void step.hold.then(go);
      else go();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  llm.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return llm;
}
