/** Shared pieces of the 轻简 tests: a capturing logger, polling, a bare WebSocket server, cleanup. */
import { EVENT_LIMIT_MS, atLeast } from '../support/limits.js';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { QingjianBridge, type BridgeLogger, type QingjianBridgeOptions } from '../../src/daemon/qingjian/index.js';
import { QingjianSimulator, type QingjianSimOptions } from '../../src/sim/qingjian-sim.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

export function captureLogger(): { logger: BridgeLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg?: string) =>
    lines.push({ level, obj: obj as Record<string, unknown>, msg: msg ?? '' });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

export async function until(check: () => boolean, what: string, requestedMs?: number): Promise<void> {
  const timeoutMs = atLeast(EVENT_LIMIT_MS, requestedMs);
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Everything a test started, stopped after it. */
export class Harness {
  private readonly sims: QingjianSimulator[] = [];
  private readonly bridges: QingjianBridge[] = [];
  private readonly servers: WebSocketServer[] = [];
  readonly log = captureLogger();

  async sim(options: QingjianSimOptions = {}): Promise<QingjianSimulator> {
    const sim = await QingjianSimulator.start({ port: 0, redeliverMs: 5_000, ...options });
    this.sims.push(sim);
    return sim;
  }

  /** Fast intervals; the heartbeat is slow unless a test asks, so it never interferes. */
  bridge(url: string, options: QingjianBridgeOptions = {}): QingjianBridge {
    const bridge = new QingjianBridge({
      url,
      logger: this.log.logger,
      heartbeatIntervalMs: 60_000,
      textAckTimeoutMs: 2_000,
      fileAckTimeoutMs: 2_000,
      sendWaitMs: 2_000,
      ...options,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100, ...options.reconnect },
    });
    this.bridges.push(bridge);
    return bridge;
  }

  /** A bare server for frames the simulator would never send; records what the client sends. */
  async rawServer(): Promise<{
    url: string;
    socket: () => Promise<WebSocket>;
    received: Record<string, unknown>[];
    connections: () => number;
  }> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.servers.push(wss);
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const received: Record<string, unknown>[] = [];
    let connections = 0;
    let current: WebSocket | null = null;
    wss.on('connection', (ws) => {
      connections++;
      current = ws;
      ws.on('message', (data) => received.push(JSON.parse(data.toString()) as Record<string, unknown>));
    });
    return {
      url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      socket: async () => {
        await until(() => current !== null, 'a client');
        return current!;
      },
      received,
      connections: () => connections,
    };
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.bridges.splice(0).map((b) => b.stop()));
    await Promise.all(this.sims.splice(0).map((s) => s.stop()));
    for (const wss of this.servers.splice(0)) {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    }
    this.log.lines.length = 0;
  }
}
