/**
 * A whole desk on loopback for end-to-end tests: a real daemon in the default (bridge) mode, the 轻简 simulator it
 * connects to, and an HTTP sink playing Tianwang's callback endpoint. Nothing of ours is mocked.
 *
 * The AI agent is off unless `agent` is given (the engine's tests count every send the simulator receives); with
 * `agent`, its settings are those of a clean environment with `agent` on top (and `settings` for the rest, such
 * as the LLM's URL).
 */
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Daemon, type DaemonOptions } from '../../src/daemon/daemon.js';
import { QingjianSimulator, type QingjianSimOptions } from '../../src/sim/qingjian-sim.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { AgentSettings, SettingFlags } from '../../src/config.js';
import { call, tempDir, testSettings } from './daemon.js';
import { startHttpSink, type HttpSink } from './http-sink.js';
import { EVENT_LIMIT_MS, atLeast } from './limits.js';

export interface Desk {
  daemon: Daemon;
  url: string;
  sim: QingjianSimulator;
  sink: HttpSink;
  store: Store;
  dir: string;
  db: string;
  /** POST /api/task/receive, expecting 200. */
  receive(task: object): Promise<void>;
  /** Until the task has this status (polls the store). */
  until(taskId: string, status: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export const FAST_BRIDGE = { reconnect: { initialDelayMs: 50, maxDelayMs: 200, jitter: 0, stableAfterMs: 100 }, heartbeatIntervalMs: 1000 };
export const FAST_BACKOFF = { baseMs: 50, maxMs: 200, jitter: 0 };

export async function startDesk(
  options: {
    sim?: QingjianSimOptions;
    daemon?: Partial<Omit<DaemonOptions, 'settings'>>;
    dir?: string;
    sim2?: QingjianSimulator;
    /** Runs the agent with these settings over the defaults. */
    agent?: Partial<AgentSettings>;
    settings?: SettingFlags;
  } = {},
): Promise<Desk> {
  const temp = options.dir ? { dir: options.dir, cleanup: () => undefined } : tempDir('aics-desk-');
  const sim = options.sim2 ?? (await QingjianSimulator.start({ port: 0, redeliverMs: 0, ...options.sim }));
  const sink = await startHttpSink();
  const settings = testSettings(temp.dir, { qingjianUrl: sim.url, callbackUrl: sink.url, ...options.settings, agent: options.agent });
  const daemon = new Daemon({
    settings,
    mode: 'bridge',
    pollMs: 50,
    bridgeOptions: FAST_BRIDGE,
    actionBackoff: FAST_BACKOFF,
    deliveryBackoff: FAST_BACKOFF,
    agent: options.agent !== undefined,
    ...options.daemon,
  });
  const { url } = await daemon.start();
  await sim.waitForClient();
  const store = await openStore(settings.db);
  const desk: Desk = {
    daemon,
    url,
    sim,
    sink,
    store,
    dir: temp.dir,
    db: settings.db,
    async receive(task) {
      const res = await call(url, 'POST', '/api/task/receive', task);
      if (res.status !== 200) throw new Error(`receive: ${res.status} ${res.text}`);
    },
    async until(taskId, status, requestedMs) {
      const timeoutMs = atLeast(EVENT_LIMIT_MS, requestedMs);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const t = await store.tasks.get(taskId);
        if (t?.status === status) return;
        if (Date.now() > deadline) throw new Error(`${taskId} is ${t?.status ?? 'missing'}, not ${status}, after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      await daemon.stop('test');
      await store.close();
      if (!options.sim2) await sim.stop();
      await sink.close();
      temp.cleanup();
    },
  };
  return desk;
}

export const dbIn = (dir: string) => join(dir, 'db/tasks.db');

/** `startDesk` for a test file: every desk started through it is stopped after each test. */
export function desksStoppedAfterEach(): (...args: Parameters<typeof startDesk>) => Promise<Desk> {
  const desks: Desk[] = [];
  afterEach(async () => {
    for (const d of desks.splice(0)) await d.stop();
  });
  return async (...args) => {
    const d = await startDesk(...args);
    desks.push(d);
    return d;
  };
}
