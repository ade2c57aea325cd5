/**
 * The worker assembly: what fires tasks and answers customers — the pause gate, the action runner, the trigger
 * engine, the agent and the scheduler — given a bridge to send through (none under --api-only: the scheduler then
 * only expires). The front (HTTP API, bridge socket) is built apart (front.ts), so that `serve --multi` can run
 * fronts and workers in different processes.
 */
import type { Settings } from '../../config.js';
import type { Logger } from '../../log.js';
import type { ClaimScope, Store } from '../../store/index.js';
import { buildAgent, type ConversationManager } from '../agent/index.js';
import type { BackoffPolicy } from '../engine/backoff.js';
import { ActionRunner } from '../engine/action-runner.js';
import { Scheduler } from '../engine/scheduler.js';
import { TriggerEngine } from '../engine/trigger-engine.js';
import { delay } from '../lifecycle.js';
import type { DaemonMetrics } from '../ops/metrics.js';
import { PauseGate } from '../ops/pause-gate.js';
import { PoliteSender } from '../ops/polite-sender.js';
import { daemonOwner } from '../owner.js';
import type { MessageSender } from '../ports.js';
import type { BridgeConnectionState, MessageHandler } from '../qingjian/index.js';

/**
 * What the worker needs of the 轻简 bridge: the QingjianBridge itself in one process; in a worker process of
 * `serve --multi`, the front's bridge reached over IPC (src/daemon/multi/remote-bridge.ts).
 */
export interface WorkerBridge {
  /** `meta` matters only where the sends are paced: in the front, for a worker process. */
  sendText: MessageSender['sendText'];
  sendFile: MessageSender['sendFile'];
  onlineAccounts(): string[];
  readonly isConnected: boolean;
  onStateChange(handler: (state: BridgeConnectionState) => void): () => void;
  onMessage(handler: MessageHandler): () => void;
}

export interface WorkerOptions {
  store: Store;
  logger: Logger;
  clock: () => number;
  settings: Settings;
  /** The 轻简 bridge; null under --api-only. */
  bridge: WorkerBridge | null;
  /**
   * true in a worker process of `serve --multi`: the front paces and holds the sends (AICS_SEND_RATE, aics pause)
   * for all workers at once, so this worker sends straight through its bridge.
   */
  pacedByFront?: boolean;
  /** false with --no-agent (and always without a bridge). */
  agent: boolean;
  metrics: DaemonMetrics;
  pollMs?: number;
  leaseMs?: number;
  actionBackoff?: BackoffPolicy;
  /**
   * What this daemon or worker may fire, asked before each pass: the accounts it serves when other daemons share the
   * database (the daemon registry step), or its shard of the customers under --multi; undefined: all.
   */
  scope?: () => ClaimScope | undefined;
  /** A `serve --multi` worker: the customers it owns (their stored answers are its to resume); absent: all. */
  ownsCustomer?: (accId: string, fromId: string) => boolean;
}

export interface Worker {
  readonly pause: PauseGate;
  /** Paces the sends (AICS_SEND_RATE); null without a bridge. */
  readonly polite: PoliteSender | null;
  readonly scheduler: Scheduler;
  readonly engine: TriggerEngine | null;
  readonly agent: ConversationManager | null;
  /** The scheduler starts looping. */
  start(): void;
  /** Answers a previous daemon could not send go out (once the bridge is up): call after the bridge started. */
  resumeAnswers(): void;
  /**
   * Stop order: sends held by a pause or waiting for their turn (AICS_SEND_RATE) are given back (repeated with the same req_id after the resume) rather than
   * waited for; the scheduler fires nothing more, actions under way finish, bursts still waiting are answered and
   * turns under way finish, all bounded by `drainTimeoutMs`; then answers still waiting stop waiting (they stay
   * stored and go out at the next start), so no timer of theirs keeps the process alive.
   */
  stop(drainTimeoutMs: number): Promise<void>;
}

/** Builds the worker and reads the pause switch (before anything can fire); nothing loops until start(). */
export async function startWorker(o: WorkerOptions): Promise<Worker> {
  const pause = new PauseGate({ store: o.store, logger: o.logger, pollMs: o.pollMs });
  await pause.start();
  try {
    return buildWorker(o, pause);
  } catch (error) {
    // A part that cannot be built (the agent's FAQ file, say): the pause gate's poll must not outlive the failure.
    await pause.stop();
    throw error;
  }
}

function buildWorker(o: WorkerOptions, pause: PauseGate): Worker {
  const { store, logger, clock, settings, bridge } = o;
  const owner = daemonOwner();
  const leaseMs = o.leaseMs ?? 15_000;
  let runner: ActionRunner | null = null;
  let engine: TriggerEngine | null = null;
  let agent: ConversationManager | null = null;
  let polite: PoliteSender | null = null;
  if (bridge) {
    let sender: MessageSender = bridgeSender(bridge);
    if (!o.pacedByFront) {
      // Tasks and the agent send through the bridge alike, each waiting for its turn on its account and customer
      // (AICS_SEND_RATE, AICS_SEND_RATE_CUSTOMER).
      polite = politeSender(settings, logger, clock);
      sender = polite.wrap(pause.wrap(o.metrics.timeSends(sender)));
    }
    runner = new ActionRunner({ store, sender, logger, clock, owner, leaseMs, filesDir: settings.filesDir, backoff: o.actionBackoff });
    const triggers = new TriggerEngine({
      store,
      runner,
      logger,
      owner,
      leaseMs,
      scopeAnyCustomer: settings.scopeAnyCustomer,
      scope: o.scope,
    });
    engine = triggers;
    if (o.agent) {
      const built = buildAgent({ settings, store, sender, logger, clock, ownsCustomer: o.ownsCustomer });
      agent = built.conversations;
      logger.info({ provider: built.provider, faq: built.faq.file }, `agent: on (${built.provider})`);
      if (!settings.dispatchUrl) {
        logger.warn({}, 'TIANWANG_DISPATCH_URL is not set: 派单 orders will be held in the outbox until it is ("aics status" counts them)');
      }
    }
    const answering = agent;
    // The bridge acks an event once this settles: after the message is recorded and its tasks claimed, and the
    // agent has logged it (its answer comes later, after the burst window).
    bridge.onMessage(async (message) => {
      const handled = await triggers.accept(message);
      await answering?.accept(message, handled);
    });
  }
  const scheduler = new Scheduler({
    store,
    logger,
    clock,
    owner,
    leaseMs,
    runner,
    pollMs: o.pollMs,
    paused: () => pause.paused !== null,
    // A 轻简 outage fails nothing: due tasks wait for the bridge and fire as soon as it is back.
    canSend: bridge ? () => bridge.isConnected : undefined,
    scope: o.scope,
  });
  bridge?.onStateChange((state) => {
    if (state === 'connected') scheduler.poke();
  });
  // A store shared with other daemons tells when one of them received, armed or re-timed tasks: look at once
  // instead of at the next poll (which stays the fallback).
  const stopListening = store.tasks.onChange?.(() => scheduler.poke());
  return {
    pause,
    polite,
    scheduler,
    engine,
    agent,
    start() {
      scheduler.start();
    },
    resumeAnswers() {
      agent?.resume();
    },
    async stop(drainTimeoutMs) {
      stopListening?.();
      await pause.stop();
      // Sends waiting for their turn go back to waiting (not an attempt), like those held by a pause.
      polite?.close();
      const settle = Promise.all([scheduler.stop(), engine?.drain(), agent?.stop()]);
      await Promise.race([settle, delay(drainTimeoutMs)]);
      if (agent) {
        agent.halt();
        await Promise.race([agent.drain(), delay(1000)]);
      }
    },
  };
}

/** A bridge as the engine's and the agent's MessageSender; the worker adds pacing, the pause and timing around it. */
export function bridgeSender(bridge: Omit<WorkerBridge, 'onMessage'>): MessageSender {
  return {
    sendText: (c, r, meta) => bridge.sendText(c, r, meta),
    sendFile: (c, r, meta) => bridge.sendFile(c, r, meta),
    accounts: () => bridge.onlineAccounts(),
    isConnected: () => bridge.isConnected,
    onConnected: (listener) => bridge.onStateChange((state) => state === 'connected' && listener()),
  };
}

/** The sends' pace per account and per customer (AICS_SEND_RATE, AICS_SEND_RATE_CUSTOMER). */
export function politeSender(settings: Settings, logger: Logger, clock: () => number): PoliteSender {
  return new PoliteSender({ rates: { perAccount: settings.sendRate, perCustomer: settings.sendRateCustomer }, logger, clock });
}
