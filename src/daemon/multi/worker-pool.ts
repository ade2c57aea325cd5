/**
 * The worker processes of `aics serve --multi`, seen from the front. Each customer belongs to one worker
 * (md5(acc_id:from_id) mod N, src/tasks/shard.ts); their messages go to it in the order the bridge delivered them,
 * and each is acked only once the worker has handled it. The pool keeps every worker running:
 * - a worker that exits is restarted with backoff (250 ms doubling to 30 s; back to 250 ms once one stayed up 30 s),
 *   logged `Worker <n> 退出`; meanwhile only its customers wait: their messages are held here and handed, in order,
 *   to the new worker (the engine knows (acc_id, msg_id) durably, so one already recorded is not handled twice);
 * - a worker whose heartbeat stops for `stuckMs` (a loop that never yields) is killed and restarted the same way;
 * - reload() replaces them one at a time: the new worker is ready before the old one is handed no more messages, the
 *   messages under way at the old one finish before the new one gets the next, and the old one finishes its work and
 *   exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { WorkerHealth } from '../../api/index.js';
import type { Logger } from '../../log.js';
import { shardKey, shardOf } from '../../tasks/index.js';
import { delay } from '../lifecycle.js';
import type { MessageSender } from '../ports.js';
import type { BridgeMessage } from '../qingjian/index.js';
import { toFailure, type FrontToWorker, type WorkerInit, type WorkerToFront } from './protocol.js';
import { writeWorkerLine } from './worker-log.js';

export interface WorkerPoolOptions {
  count: number;
  logger: Logger;
  /** Sends on the workers' behalf: the front's paced, pausable sender around its bridge. */
  sender: MessageSender;
  /** The bridge's state, passed on to the workers. */
  bridgeState: () => { connected: boolean; accounts: string[] };
  init: Omit<WorkerInit, 'index' | 'count'>;
  /** The compiled worker entry (dist/daemon/multi/worker-main.js). */
  entry?: string;
  /** No heartbeat for this long: the worker is stuck and is killed (default 5 s). */
  stuckMs?: number;
}

/** What /api/health and `aics status` show of one worker. */
export type WorkerStatus = WorkerHealth;

interface Child {
  proc: ChildProcess;
  ready: boolean;
  retiring: boolean;
  startedAtMs: number;
  lastBeatMs: number;
  rss: number | null;
  exited: Promise<void>;
}

interface Held {
  message: BridgeMessage;
  sentTo: Child | null;
  settle: (ok: boolean) => void;
}

interface Shard {
  index: number;
  current: Child | null;
  /** Messages not yet handled, in arrival order (a Map keeps insertion order). */
  held: Map<number, Held>;
  /** During a reload's switch: new messages wait here until the old worker has handled its own. */
  switching: boolean;
  restarts: number;
  backoffMs: number;
  restartTimer: NodeJS.Timeout | null;
  customers: Set<string>;
}

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;
const STABLE_MS = 30_000;
const READY_LIMIT_MS = 60_000;

export class WorkerPool {
  private readonly shards: Shard[];
  private seq = 0;
  private stopping = false;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly entry: string;
  private readonly stuckMs: number;
  private switched: (() => void) | null = null;

  constructor(private readonly o: WorkerPoolOptions) {
    this.entry = o.entry ?? new URL('./worker-main.js', import.meta.url).pathname;
    this.stuckMs = o.stuckMs ?? 5000;
    this.shards = Array.from({ length: o.count }, (_, index) => ({
      index,
      current: null,
      held: new Map(),
      switching: false,
      restarts: 0,
      backoffMs: FIRST_BACKOFF_MS,
      restartTimer: null,
      customers: new Set(),
    }));
  }

  /** Forks every worker and resolves once each is ready (a worker that cannot start fails the daemon's start). */
  async start(): Promise<void> {
    const children = this.shards.map((shard) => (shard.current = this.spawn(shard)));
    await Promise.all(children.map((child, index) => this.whenReady(child, index)));
    this.watchdog = setInterval(() => this.watch(), Math.min(1000, this.stuckMs));
    this.watchdog.unref();
  }

  /** The bridge's handler: resolves once the owning worker handled the message (then the bridge acks it). */
  handle(message: BridgeMessage): Promise<void> {
    const shard = this.shards[shardOf(message.acc_id, message.from_id, this.o.count)]!;
    shard.customers.add(shardKey(message.acc_id, message.from_id));
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      const settle = (ok: boolean) =>
        ok ? resolve() : reject(new Error(`Worker ${shard.index} could not handle message ${message.msg_id}`));
      const held: Held = { message, sentTo: null, settle };
      shard.held.set(seq, held);
      const child = shard.current;
      if (child?.ready && !shard.switching) this.hand(child, seq, held);
    });
  }

  /** A task was stored: every worker looks for due work now. */
  poke(): void {
    this.broadcast({ t: 'poke' });
  }

  /** The bridge connected or went away. */
  bridgeChanged(): void {
    this.broadcast({ t: 'bridge', ...this.o.bridgeState() });
  }

  status(): WorkerStatus[] {
    return this.shards.map((s) => ({
      index: s.index,
      pid: s.current?.proc.pid ?? null,
      customers: s.customers.size,
      queue: s.held.size,
      restarts: s.restarts,
      rss_bytes: s.current?.rss ?? null,
      up_since: s.current?.ready ? new Date(s.current.startedAtMs).toISOString() : null,
    }));
  }

  /** Replaces the workers one at a time (SIGHUP, `aics reload`); nothing handed to a worker is lost or handled twice. */
  async reload(): Promise<void> {
    for (const shard of this.shards) {
      if (this.stopping) return;
      const old = shard.current;
      if (!old?.ready) continue; // down: its restart is already the new code
      const next = this.spawn(shard);
      try {
        await this.whenReady(next, shard.index);
      } catch (error) {
        this.o.logger.error(
          { worker: shard.index },
          `Worker ${shard.index} reload failed: ${(error as Error).message}; the old one keeps running`,
        );
        continue;
      }
      shard.switching = true;
      while ([...shard.held.values()].some((h) => h.sentTo === old && old === shard.current)) {
        await new Promise<void>((resolve) => (this.switched = resolve));
      }
      if (shard.restartTimer) {
        // The old worker died during the switch: the new one, ready, takes its place instead of a restart.
        clearTimeout(shard.restartTimer);
        shard.restartTimer = null;
      }
      old.retiring = true;
      shard.current = next;
      shard.switching = false;
      this.flush(shard);
      this.post(old, { t: 'drain' });
      await this.untilExit(old, (this.o.init.drainTimeoutMs ?? 5000) + 5000);
      // What the old worker left unsent (halted at its drain) is the new one's now, and only now.
      this.post(next, { t: 'resume-answers' });
      this.o.logger.info(
        { worker: shard.index, old_pid: old.proc.pid, pid: next.proc.pid },
        `Worker ${shard.index} reloaded (pid ${old.proc.pid} → ${next.proc.pid})`,
      );
    }
  }

  /** Every worker finishes its work under way and exits (bounded by the drain time, then killed). */
  async stop(drainTimeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.watchdog) clearInterval(this.watchdog);
    const children: Child[] = [];
    for (const shard of this.shards) {
      if (shard.restartTimer) clearTimeout(shard.restartTimer);
      if (shard.current) children.push(shard.current);
      // Not acked: the bridge delivers them again, to the next daemon.
      for (const held of shard.held.values()) held.settle(false);
      shard.held.clear();
    }
    for (const child of children) this.post(child, { t: 'drain' });
    await Promise.all(children.map((child) => this.untilExit(child, drainTimeoutMs + 2000)));
  }

  private spawn(shard: Shard): Child {
    const proc = fork(this.entry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const now = Date.now();
    const child: Child = { proc, ready: false, retiring: false, startedAtMs: now, lastBeatMs: now, rss: null, exited: Promise.resolve() };
    child.exited = new Promise((resolve) => proc.once('exit', (code, signal) => (this.exited(shard, child, code, signal), resolve())));
    proc.on('message', (message: WorkerToFront) => this.fromWorker(shard, child, message));
    proc.on('error', (error) => this.o.logger.error({ worker: shard.index, err: error }, `Worker ${shard.index}: ${error.message}`));
    this.post(child, { t: 'init', init: { ...this.o.init, index: shard.index, count: this.o.count } });
    return child;
  }

  private whenReady(child: Child, index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (child.ready) return resolve();
      const onMessage = (m: WorkerToFront) => m.t === 'ready' && (cleanup(), resolve());
      const onExit = (code: number | null, signal: string | null) => (
        cleanup(),
        reject(new Error(`Worker ${index} 退出 before it was ready (code ${code}, signal ${signal})`))
      );
      const cleanup = () => {
        child.proc.off('message', onMessage);
        child.proc.off('exit', onExit);
      };
      child.proc.on('message', onMessage);
      child.proc.once('exit', onExit);
    });
  }

  private fromWorker(shard: Shard, child: Child, message: WorkerToFront): void {
    switch (message.t) {
      case 'ready':
        child.ready = true;
        child.startedAtMs = child.lastBeatMs = Date.now();
        this.post(child, { t: 'bridge', ...this.o.bridgeState() });
        if (child === shard.current) {
          // The first start or a restart: no other worker of this shard runs, so its stored answers are this one's.
          this.post(child, { t: 'resume-answers' });
          this.flush(shard);
        }
        return;
      case 'beat':
        child.lastBeatMs = Date.now();
        child.rss = message.rss;
        this.post(child, { t: 'bridge', ...this.o.bridgeState() });
        return;
      case 'log':
        writeWorkerLine(this.o.logger, shard.index, message.line);
        return;
      case 'handled': {
        const held = shard.held.get(message.seq);
        if (!held || held.sentTo !== child) return;
        shard.held.delete(message.seq);
        held.settle(message.ok);
        if (shard.switching) this.switched?.();
        return;
      }
      case 'send': {
        const sending =
          message.kind === 'text'
            ? this.o.sender.sendText(message.command, message.reqId, message.meta)
            : this.o.sender.sendFile(message.command, message.reqId, message.meta);
        sending.then(
          (result) => this.post(child, { t: 'send-result', id: message.id, result }),
          (error: unknown) => this.post(child, { t: 'send-result', id: message.id, failure: toFailure(error) }),
        );
        return;
      }
    }
  }

  /** Hands the shard's held messages not yet with its current worker to it, in arrival order. */
  private flush(shard: Shard): void {
    const child = shard.current;
    if (!child?.ready || shard.switching) return;
    for (const [seq, held] of shard.held) if (held.sentTo !== child) this.hand(child, seq, held);
  }

  private hand(child: Child, seq: number, held: Held): void {
    held.sentTo = child;
    this.post(child, { t: 'message', seq, message: held.message });
  }

  private exited(shard: Shard, child: Child, code: number | null, signal: string | null): void {
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (child.retiring || this.stopping) {
      this.o.logger.info({ worker: shard.index, pid: child.proc.pid, code, signal }, `Worker ${shard.index} 退出 (${how})`);
      return;
    }
    if (child !== shard.current) return; // a reload's new worker that failed to start: said by reload()
    shard.current = null;
    for (const held of shard.held.values()) held.sentTo = null;
    if (shard.switching) this.switched?.();
    shard.restarts++;
    const waitMs = shard.backoffMs;
    shard.backoffMs = Math.min(MAX_BACKOFF_MS, shard.backoffMs * 2);
    this.o.logger.warn(
      { worker: shard.index, pid: child.proc.pid, code, signal, restart_in_ms: waitMs, held: shard.held.size },
      `Worker ${shard.index} 退出 (${how}): restarting it in ${waitMs} ms; its customers' messages wait for it`,
    );
    shard.restartTimer = setTimeout(() => {
      shard.restartTimer = null;
      if (!this.stopping) shard.current = this.spawn(shard);
    }, waitMs);
  }

  /** Kills a worker whose heartbeat stopped (or that never became ready); resets the backoff of one that stayed up. */
  private watch(): void {
    const now = Date.now();
    for (const shard of this.shards) {
      const child = shard.current;
      if (!child || child.proc.exitCode !== null) continue;
      if (child.ready && now - child.startedAtMs > STABLE_MS) shard.backoffMs = FIRST_BACKOFF_MS;
      const silentMs = now - child.lastBeatMs;
      if ((child.ready && silentMs > this.stuckMs) || (!child.ready && silentMs > READY_LIMIT_MS)) {
        this.o.logger.error(
          { worker: shard.index, pid: child.proc.pid, silent_ms: silentMs },
          `Worker ${shard.index} stuck (no heartbeat for ${Math.round(silentMs / 1000)} s): killing it`,
        );
        child.proc.kill('SIGKILL');
      }
    }
  }

  private async untilExit(child: Child, limitMs: number): Promise<void> {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
    const timedOut = await Promise.race([child.exited.then(() => false), delay(limitMs).then(() => true)]);
    if (timedOut) {
      child.proc.kill('SIGKILL');
      await child.exited;
    }
  }

  private broadcast(message: FrontToWorker): void {
    for (const shard of this.shards) if (shard.current?.ready) this.post(shard.current, message);
  }

  private post(child: Child, message: FrontToWorker): void {
    if (child.proc.connected) child.proc.send(message);
  }
}
