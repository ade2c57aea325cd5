/**
 * What fires tasks and answers customers, as the composition root uses it: the worker of this process (worker.ts),
 * or under `serve --multi` N worker processes (src/daemon/multi) behind one front. In the front of --multi the sends
 * of all workers are paced (AICS_SEND_RATE) and held by a pause here, once, around the one bridge.
 */
import type { Settings } from '../../config.js';
import type { Logger } from '../../log.js';
import type { ClaimScope, Store } from '../../store/index.js';
import type { BackoffPolicy } from '../engine/backoff.js';
import { WorkerPool, type WorkerStatus } from '../multi/worker-pool.js';
import type { DaemonMetrics } from '../ops/metrics.js';
import { PauseGate } from '../ops/pause-gate.js';
import type { PoliteSender } from '../ops/polite-sender.js';
import type { QingjianBridge } from '../qingjian/index.js';
import { bridgeForWorker } from './front.js';
import { bridgeSender, politeSender, startWorker } from './worker.js';

export interface WorkersOptions {
  store: Store;
  logger: Logger;
  clock: () => number;
  settings: Settings;
  bridge: QingjianBridge | null;
  agent: boolean;
  metrics: DaemonMetrics;
  /** --multi: how many worker processes; undefined: the worker runs in this process. */
  processes?: number;
  pollMs?: number;
  leaseMs?: number;
  actionBackoff?: BackoffPolicy;
  drainTimeoutMs: number;
  /**
   * The accounts this daemon may fire for when other daemons share the database (the daemon registry step). Only the
   * in-process worker takes it: --multi workers fire their shard of the customers (see docs/deploy.md).
   */
  scope?: () => ClaimScope | undefined;
}

export interface Workers {
  readonly pause: PauseGate;
  readonly polite: PoliteSender | null;
  /** Whether the agent answers customers. */
  readonly agentOn: boolean;
  /** A task was stored here: look for due work now. */
  poke(): void;
  start(): void;
  resumeAnswers(): void;
  stop(drainTimeoutMs: number): Promise<void>;
  /** The worker processes (--multi); null in one process. */
  status(): WorkerStatus[] | null;
  /** Replaces the worker processes one at a time; false in one process (nothing to restart). */
  reload(): Promise<boolean>;
}

export async function startWorkers(o: WorkersOptions): Promise<Workers> {
  if (o.processes !== undefined && o.bridge) return startWorkerProcesses(o, o.bridge, o.processes);
  const worker = await startWorker({ ...o, bridge: o.bridge && bridgeForWorker(o.bridge) });
  return {
    pause: worker.pause,
    polite: worker.polite,
    agentOn: worker.agent !== null,
    poke: () => worker.scheduler.poke(),
    start: () => worker.start(),
    resumeAnswers: () => worker.resumeAnswers(),
    stop: (ms) => worker.stop(ms),
    status: () => null,
    reload: () => Promise.resolve(false),
  };
}

async function startWorkerProcesses(o: WorkersOptions, bridge: QingjianBridge, count: number): Promise<Workers> {
  const { store, logger, clock, settings } = o;
  const pause = new PauseGate({ store, logger, pollMs: o.pollMs });
  await pause.start();
  const polite = politeSender(settings, logger, clock);
  const pool = new WorkerPool({
    count,
    logger,
    sender: polite.wrap(pause.wrap(o.metrics.timeSends(bridgeSender(bridgeForWorker(bridge))))),
    bridgeState: () => ({ connected: bridge.isConnected, accounts: bridge.onlineAccounts() }),
    init: {
      settings,
      agent: o.agent,
      pollMs: o.pollMs,
      leaseMs: o.leaseMs,
      actionBackoff: o.actionBackoff,
      drainTimeoutMs: o.drainTimeoutMs,
      heartbeatMs: 1000,
    },
  });
  try {
    await pool.start();
  } catch (error) {
    await pool.stop(0);
    await pause.stop();
    throw error;
  }
  bridge.onMessage((message) => pool.handle(message));
  bridge.onStateChange(() => pool.bridgeChanged());
  logger.info({ workers: count }, `${count} worker process(es) ready`);
  return {
    pause,
    polite,
    agentOn: o.agent,
    poke: () => pool.poke(),
    start: () => undefined,
    resumeAnswers: () => undefined,
    async stop(drainTimeoutMs) {
      // Sends held by a pause or waiting for their turn go back to the workers first, so their work can finish.
      await pause.stop();
      polite.close();
      await pool.stop(drainTimeoutMs);
    },
    status: () => pool.status(),
    async reload() {
      await pool.reload();
      return true;
    },
  };
}
