/**
 * The engine's services built one at a time on a fake clock: a real SQLite store in a temp folder whose clock is
 * the test's, a scripted bridge (the outside world: records each send and answers as the test says), a logger
 * that keeps its lines, and a lease-renewal timer the test fires by hand. Nothing of ours is mocked; nothing waits
 * on real time, so each test runs in milliseconds.
 */
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { ActionRunner, type ActionRunnerOptions } from '../../src/daemon/engine/action-runner.js';
import { Scheduler, type SchedulerOptions } from '../../src/daemon/engine/scheduler.js';
import { TriggerEngine, type TriggerEngineOptions } from '../../src/daemon/engine/trigger-engine.js';
import type { FileCommand, Logger, MessageSender, SendResult, TextCommand } from '../../src/daemon/ports.js';
import type { Store } from '../../src/store/index.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { validateTask } from '../../src/tasks/index.js';
import { tempDir } from './fixtures.js';

export const ZONE = 'Asia/Shanghai';
/** 2030-01-01 08:00:00 in Shanghai: far from any real "now", so nothing here depends on the wall clock. */
export const START_MS = Date.parse('2030-01-01T00:00:00Z');

export class FakeClock {
  constructor(public nowMs = START_MS) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): number {
    this.nowMs += ms;
    return this.nowMs;
  }
}

export interface Sent {
  req_id: string;
  to_id: string;
  acc_id: string;
  content?: string;
  kind?: string;
}

/** How the bridge answers a send: ok, or an error carrying the bridge client's flags (notSent, inDoubt, retryable). */
export type BridgeAnswer = 'ok' | { error: string; notSent?: boolean; inDoubt?: boolean; retryable?: boolean };

/** The 轻简 bridge as the runner sees it: records each send; answers from a script (then ok); can be "away". */
export class ScriptedBridge implements MessageSender {
  readonly sent: Sent[] = [];
  readonly script: BridgeAnswer[] = [];
  connected = true;
  /** Set while a send should hang until the test resolves it (lease renewal). */
  hold: Promise<void> | null = null;

  isConnected(): boolean {
    return this.connected;
  }
  accounts(): string[] {
    return ['acc_1'];
  }
  sendText(c: TextCommand, reqId: string): Promise<SendResult> {
    return this.answer({ req_id: reqId, to_id: c.to_id, acc_id: c.acc_id, content: c.content });
  }
  sendFile(c: FileCommand, reqId: string): Promise<SendResult> {
    return this.answer({ req_id: reqId, to_id: c.to_id, acc_id: c.acc_id, kind: c.kind });
  }
  private async answer(sent: Sent): Promise<SendResult> {
    if (this.hold) await this.hold;
    const next = this.script.shift() ?? 'ok';
    if (next !== 'ok') throw Object.assign(new Error(next.error), next);
    this.sent.push(sent);
    return { msg_id: `m_${this.sent.length}` };
  }
}

export class LogLines implements Logger {
  readonly lines: { level: string; msg: string; obj: object }[] = [];
  debug(obj: object, msg = '') {
    this.lines.push({ level: 'debug', msg, obj });
  }
  info(obj: object, msg = '') {
    this.lines.push({ level: 'info', msg, obj });
  }
  warn(obj: object, msg = '') {
    this.lines.push({ level: 'warn', msg, obj });
  }
  error(obj: object, msg = '') {
    this.lines.push({ level: 'error', msg, obj });
  }
  matching(re: RegExp): string[] {
    return this.lines.map((l) => l.msg).filter((m) => re.test(m));
  }
}

/** Interval timers that fire only when the test says so. */
export class ManualTimers {
  private readonly ticks = new Set<() => void>();
  readonly every = (_ms: number, tick: () => void): (() => void) => {
    this.ticks.add(tick);
    return () => this.ticks.delete(tick);
  };
  get active(): number {
    return this.ticks.size;
  }
  fire(): void {
    for (const tick of [...this.ticks]) tick();
  }
}

export interface Bench {
  clock: FakeClock;
  store: Store;
  bridge: ScriptedBridge;
  log: LogLines;
  timers: ManualTimers;
  file: string;
  /** A second connection to the same file with the same clock (another daemon). */
  openAnother(): Store;
  /** Validates a payload as receive does and stores it at the bench's time. */
  receive(payload: object): Promise<void>;
  runner(over?: Partial<ActionRunnerOptions>): ActionRunner;
  engine(over?: Partial<TriggerEngineOptions>): TriggerEngine;
  scheduler(over?: Partial<SchedulerOptions>): Scheduler;
}

export const OWNER = 'daemon:bench:1';
export const LEASE_MS = 30_000;
export const NO_JITTER = { baseMs: 2_000, maxMs: 60_000, jitter: 0 };

/** A bench per test, closed after each test of the file. */
export function benchesClosedAfterEach(): () => Bench {
  const open: (() => void)[] = [];
  afterEach(() => {
    for (const close of open.splice(0).reverse()) close();
  });
  return () => {
    const temp = tempDir('aics-bench-');
    const clock = new FakeClock();
    const file = join(temp.dir, 'tasks.db');
    const stores: Store[] = [];
    const connect = () => {
      // The SQLite store opened synchronously, so that a bench is built in one call.
      const s = openSqliteStore(file, { clock: clock.now, timeZone: ZONE });
      stores.push(s);
      return s;
    };
    const store = connect();
    open.push(() => {
      for (const s of stores) void s.close();
      temp.cleanup();
    });
    const bridge = new ScriptedBridge();
    const log = new LogLines();
    const timers = new ManualTimers();
    const bench: Bench = {
      clock,
      store,
      bridge,
      log,
      timers,
      file,
      openAnother: connect,
      async receive(payload) {
        await store.tasks.receive(validateTask(payload, temp.dir), 'test');
      },
      runner: (over = {}) =>
        new ActionRunner({
          store,
          sender: bridge,
          logger: log,
          clock: clock.now,
          owner: OWNER,
          leaseMs: LEASE_MS,
          filesDir: temp.dir,
          backoff: NO_JITTER,
          every: timers.every,
          ...over,
        }),
      // A second daemon: pass its own store (openAnother()) and owner; its runner uses them too.
      engine: (over = {}) =>
        new TriggerEngine({
          store,
          logger: log,
          owner: OWNER,
          leaseMs: LEASE_MS,
          ...over,
          runner: over.runner ?? bench.runner({ store: over.store ?? store, owner: over.owner ?? OWNER }),
        }),
      scheduler: (over = {}) =>
        new Scheduler({
          store,
          logger: log,
          clock: clock.now,
          owner: OWNER,
          leaseMs: LEASE_MS,
          canSend: () => bridge.isConnected(),
          ...over,
          runner: over.runner === undefined ? bench.runner({ store: over.store ?? store, owner: over.owner ?? OWNER }) : over.runner,
        }),
    };
    return bench;
  };
}

/** A minimal valid payload; `over` replaces top-level fields. */
export function payload(taskId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    task_id: taskId,
    customer: { id: 'cust_1', acc_id: 'acc_1' },
    trigger: { type: 'customer_reply', keyword: '好的' },
    action: { type: 'send_message', message: `message of ${taskId}` },
    ...over,
  };
}

let msgSeq = 0;
export function message(fromId: string, content: string, over: Record<string, unknown> = {}) {
  return { acc_id: 'acc_1', from_id: fromId, content, msg_id: `msg_${++msgSeq}`, ...over };
}
