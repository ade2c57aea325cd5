/**
 * A real HTTP server on 127.0.0.1 playing Tianwang's callback endpoint: records what it receives and answers
 * with the status the test chooses (or hangs), so delivery, retries and signatures are tested end to end.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EVENT_LIMIT_MS, atLeast } from './limits.js';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  raw: string;
}

export interface HttpSink {
  url: string;
  received: Received[];
  /** The status for the next requests (default 200); 'hang' never answers. */
  respond: number | 'hang';
  /** Requests from now on wait unanswered until the returned function is called (then answered as `respond` says). */
  hold(): () => void;
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startHttpSink(path = '/api/task/callback'): Promise<HttpSink> {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  let held: Promise<void> | null = null;
  const sink: HttpSink = {
    url: '',
    received,
    respond: 200,
    hold() {
      let release!: () => void;
      held = new Promise((resolve) => (release = resolve));
      return () => {
        held = null;
        release();
      };
    },
    waitFor(count, requestedMs) {
      const timeoutMs = atLeast(EVENT_LIMIT_MS, requestedMs);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            resolve(received);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => reject(new Error(`sink got ${received.length} of ${count} requests`)), timeoutMs);
        // A waiter is called once per request: it registers itself again until enough have arrived.
        const wait = () => {
          if (!check()) waiters.push(wait);
        };
        wait();
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (held) void held.then(answer);
      else answer();
    });
    const answer = () => {
      const status = sink.respond;
      if (status === 'hang') return;
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // keep raw text
      }
      if (status >= 200 && status < 300) received.push({ path: req.url ?? '', headers: req.headers, body, raw });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: status, message: status < 300 ? 'OK' : 'down', data: null }));
      for (const w of waiters.splice(0)) w();
    };
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return sink;
}
