/**
 * The agent's HTTP client for the LLM endpoint (llm-http.ts), against a real node:http server on loopback: a JSON
 * answer is parsed; an answer over the cap fails whether its length is declared or streamed (chunked), and the pool
 * still serves the next request; an endpoint that stops mid-answer fails at the timeout; an HTTP error carries the
 * endpoint's own message.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { llmHttp, llmTarget } from '../../src/daemon/agent/llm-http.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const LIMIT = 64 * 1024;
const json = { 'content-type': 'application/json' };

async function endpoint() {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      bodies.push(raw);
      const path = req.url ?? '';
      if (path.endsWith('/declared')) res.writeHead(200, json).end(`"${'x'.repeat(LIMIT)}"`);
      else if (path.endsWith('/chunked')) {
        res.writeHead(200, json); // no content-length: chunked
        res.write('"');
        for (let i = 0; i < 8; i++) res.write('y'.repeat(LIMIT / 4));
        res.end('"');
      } else if (path.endsWith('/stalls')) {
        res.writeHead(200, json);
        res.write('{"choices":'); // and nothing more
      } else if (path.endsWith('/error')) res.writeHead(429, json).end(JSON.stringify({ error: { message: 'rate limited' } }));
      else res.writeHead(200, json).end(JSON.stringify({ echo: JSON.parse(raw) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  );
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { base, bodies };
}

it('parses a JSON answer; refuses one over the cap, declared or chunked; the next request still goes through', async () => {
  const { base, bodies } = await endpoint();
  const http = llmHttp(1, LIMIT);
  cleanups.push(() => http.close());
  const post = (path: string) => http.postJson(llmTarget(`${base}${path}`), Buffer.from('{"q":"名片"}'), json, 10_000);

  expect(await post('/chat/completions')).toEqual({ echo: { q: '名片' } });
  await expect(post('/declared')).rejects.toThrow(`larger than ${LIMIT} bytes`);
  await expect(post('/chunked')).rejects.toThrow(`larger than ${LIMIT} bytes`);
  expect(await post('/chat/completions')).toEqual({ echo: { q: '名片' } });
  await expect(post('/error')).rejects.toThrow('the LLM answered HTTP 429: rate limited');
  expect(bodies).toContain('{"q":"名片"}');
});

it('an endpoint that stops mid-answer fails at the timeout, and the pool serves the next request', async () => {
  const { base } = await endpoint();
  const http = llmHttp(1, LIMIT);
  cleanups.push(() => http.close());
  await expect(http.postJson(llmTarget(`${base}/stalls`), Buffer.from('{}'), json, 300)).rejects.toThrow(
    'the LLM did not answer within 300 ms',
  );
  expect(await http.postJson(llmTarget(`${base}/chat/completions`), Buffer.from('{}'), json, 10_000)).toEqual({ echo: {} });
});
