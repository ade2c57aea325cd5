/**
 * Hostile HTTP peers on 127.0.0.1 for the slow-peer tests: one that sends its headers and then a byte every few
 * hundred milliseconds for ever, one that answers with an endless body. Each counts what it was sent and wrote.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlowPeer {
  url: string;
  /** Requests that arrived (their bodies read). */
  requests: number;
  /** Bytes of answer body written so far, over all requests. */
  written: number;
  /** Connections the peer saw closed by the client. */
  closed: number;
  close(): Promise<void>;
}

async function listen(server: Server, peer: SlowPeer, path: string): Promise<SlowPeer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  peer.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return peer;
}

/** Answers `status` with headers at once, then one byte every `everyMs` and never ends. */
export function startDribblingPeer(everyMs = 200, status = 200, path = '/cb'): Promise<SlowPeer> {
  const peer = { url: '', requests: 0, written: 0, closed: 0 } as SlowPeer;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      peer.requests++;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.flushHeaders();
      const timer = setInterval(() => {
        res.write(' ');
        peer.written++;
      }, everyMs);
      res.on('close', () => {
        clearInterval(timer);
        peer.closed++;
      });
    });
  });
  return listen(server, peer, path);
}

/** Answers `status` with an endless body, written as fast as the client reads it. */
export function startFloodingPeer(status = 500, path = '/cb'): Promise<SlowPeer> {
  const peer = { url: '', requests: 0, written: 0, closed: 0 } as SlowPeer;
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      peer.requests++;
      res.writeHead(status, { 'content-type': 'text/plain' });
      let open = true;
      res.on('close', () => {
        open = false;
        peer.closed++;
      });
      const pump = () => {
        while (open && peer.written < 2 * 1024 ** 3) {
          peer.written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
  });
  return listen(server, peer, path);
}
