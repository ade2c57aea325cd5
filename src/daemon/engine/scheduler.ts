/**
 * The clock side of the engine, on one timer set for the next thing due (never one timer per task):
 *   - arms tasks written by any process (pending → waiting) — polled at least every `pollMs`, so a task added by
 *     the CLI is armed within a second; only when `fire` is on (an --api-only daemon leaves tasks pending, which
 *     then tells the operator that no daemon listens for them yet);
 *   - expires tasks past their timeout;
 *   - recovers running tasks whose lease ran out (their daemon died mid-action);
 *   - fires due tasks: time_reach, cron and retries after their backoff (only when `fire` is on: an --api-only
 *     daemon has no bridge and leaves firing to a daemon that has one), and only while the bridge is connected
 *     (`canSend`): during an outage they keep waiting, due as they are, and fire in due-time then priority order
 *     once it is back.
 */
import { hostname } from 'node:os';
import type { Store, TaskRecord } from '../../store/index.js';
import type { Logger } from '../ports.js';
import { TimerLoop } from '../timer-loop.js';
import type { ActionRunner } from './action-runner.js';
import { LOG_WORDS } from '../../log.js';

export interface SchedulerOptions {
  store: Store;
  logger: Logger;
  clock: () => number;
  owner: string;
  leaseMs: number;
  /** null: arm and expire only (--api-only). */
  runner: ActionRunner | null;
  pollMs?: number;
  /** How many due tasks run at once. */
  concurrency?: number;
  /** True while the desk is paused (aics pause): nothing is fired; arming and expiry go on. */
  paused?: () => boolean;
  /**
   * Whether a send can leave now (the 轻简 bridge is connected). While it cannot, due tasks are not claimed: they
   * keep waiting with their due time, and fire in due-time and priority order once it can (poke() on reconnect).
   * Arming and expiry go on meanwhile, so only timeout_hours ends a task during an outage.
   */
  canSend?: () => boolean;
}

const BATCH = 500;

export class Scheduler {
  private readonly loop = new TimerLoop(() => this.tick());
  /** Leases of dead daemons on this host are taken back once, at start-up, without waiting for them to lapse. */
  private recovered = false;
  /** Set by stop(): a batch under way fires no more. A pass run by hand (tick(), on a test's fake clock) fires. */
  private stopped = false;
  private readonly active = new Set<Promise<unknown>>();
  private readonly pollMs: number;
  private readonly concurrency: number;
  /** Due tasks were held for the bridge (logged once per outage). */
  private holding = false;

  constructor(private readonly o: SchedulerOptions) {
    this.pollMs = o.pollMs ?? 1000;
    this.concurrency = o.concurrency ?? 32;
  }

  start(): void {
    this.stopped = false;
    this.loop.start();
  }

  /** Stops the timer and waits for the actions under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
    await Promise.allSettled([...this.active]);
  }

  /** Wakes the scheduler now, e.g. after this process stored a task. */
  poke(): void {
    this.loop.poke();
  }

  /** One pass; returns when the next one should run. */
  async tick(): Promise<number> {
    try {
      const { store, logger, owner } = this.o;
      const dead = this.recovered ? [] : deadOwnersOnThisHost(await store.tasks.leaseOwners(), owner);
      this.recovered = true;
      for (const id of await store.tasks.recoverLeases(owner, dead)) {
        logger.warn({ task_id: id }, `${LOG_WORDS.recovered} ${id}: the daemon that ran it died or lost its lease; retrying with the same req_id`);
      }
      // `pending` means "nobody listens for it yet": only a daemon that can fire (one with a bridge) arms tasks.
      const armed = this.o.runner ? await store.tasks.arm(owner) : [];
      if (armed.length) logger.debug({ count: armed.length }, `armed ${armed.length} task(s)`);
      for (const id of await store.tasks.expire(owner)) {
        const task = await store.tasks.get(id);
        logger.info(
          { task_id: id, customer_id: task?.customer_id ?? undefined, timeout_hours: task?.timeout_hours },
          `${LOG_WORDS.expired} ${id}: not triggered within timeout_hours (${task?.timeout_hours ?? '?'})`,
        );
      }
      if (this.o.paused?.()) return this.pollMs; // due tasks wait for the resume; a shorter wait would spin on them
      if (this.o.runner && !this.sendable()) {
        // Woken by poke() when the bridge is back; until then the clock only needs arming and expiry.
        if (!this.holding && (await store.tasks.dueTasks(1)).length) {
          this.holding = true;
          logger.warn({}, '轻简 not connected: due tasks wait for the bridge and fire in due-time order when it is back');
        }
        return this.pollMs;
      }
      if (this.holding) {
        this.holding = false;
        logger.info({}, '轻简 connected: firing the due tasks that waited for it');
      }
      if (this.o.runner) {
        const due = await store.tasks.dueTasks(BATCH);
        await this.fireAll(due);
        if (due.length === BATCH) return 0; // more are due: go on at once
      }
      const wake = await store.tasks.nextWakeAt();
      return wake === null ? this.pollMs : Math.min(this.pollMs, Math.max(0, wake - this.o.clock()));
    } catch (error) {
      this.o.logger.error({ error: error instanceof Error ? error.message : String(error) }, `scheduler: ${String(error)}`);
      return this.pollMs;
    }
  }

  private sendable(): boolean {
    return this.o.canSend?.() ?? true;
  }

  private async fireAll(due: TaskRecord[]) {
    const queue = [...due];
    const worker = async () => {
      for (let task = queue.shift(); task; task = queue.shift()) {
        // Stopping, or the bridge went away mid-batch: the rest stay waiting, due as they are.
        if (this.stopped || !this.sendable()) return;
        await this.fire(task);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, worker));
  }

  private async fire(task: TaskRecord) {
    const { store, logger, owner } = this.o;
    const claimed = await store.tasks.claim(task.task_id, {
      owner,
      leaseMs: this.o.leaseMs,
      reason: task.retry_count > 0 || task.triggered_at ? `任务触发 (retry ${task.retry_count + 1})` : '任务触发: time reached',
    });
    if (!claimed) return;
    const lateMs = task.due_at ? this.o.clock() - Date.parse(task.due_at) : 0;
    logger.info(
      { task_id: task.task_id, customer_id: claimed.target?.from_id ?? task.customer_id, late_ms: lateMs },
      `${LOG_WORDS.triggered} ${task.task_id} (${task.trigger.type}${lateMs > 1000 ? `, ${Math.round(lateMs / 1000)} s late` : ''})`,
    );
    const run = this.o.runner!.run(claimed);
    this.active.add(run);
    try {
      await run;
    } finally {
      this.active.delete(run);
    }
  }
}

/**
 * Lease owners are "daemon:HOST:PID". Those on this host whose process is gone (a crash, SIGKILL, a reboot) hold
 * leases no one will renew: a restarted daemon takes them back at once rather than after they lapse.
 */
export function deadOwnersOnThisHost(owners: readonly string[], self: string, host = hostname()): string[] {
  return owners.filter((o) => {
    const m = /^daemon:(.+):(\d+)$/.exec(o);
    if (!m || m[1] !== host || o === self) return false;
    try {
      process.kill(Number(m[2]), 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  });
}
