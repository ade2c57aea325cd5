/**
 * The clock side of the engine, on one timer set for the next thing due (never one timer per task):
 *   - arms tasks written by any process (pending → waiting) — polled at least every `pollMs`, so a task added by
 *     the CLI is armed within a second; only when `fire` is on (an --api-only daemon leaves tasks pending, which
 *     then tells the operator that no daemon listens for them yet);
 *   - expires tasks past their timeout;
 *   - recovers running tasks whose lease ran out (their daemon died mid-action);
 *   - fires due tasks: time_reach, cron and retries after their backoff (only when `fire` is on: an --api-only
 *     daemon has no bridge and leaves firing to a daemon that has one), and only while the bridge is connected
 *     (`canSend`): during an outage they keep waiting, due as they are, and fire by priority, then due time,
 *     once it is back.
 */
import { hostname } from 'node:os';
import type { ClaimScope, Store, TaskRecord } from '../../store/index.js';
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
   * keep waiting with their due time, and fire by priority, then due time, once it can (poke() on reconnect).
   * Arming and expiry go on meanwhile, so only timeout_hours ends a task during an outage.
   */
  canSend?: () => boolean;
  /** Which due tasks this scheduler fires, asked each pass (several daemons on one database, a --multi worker's shard); undefined: all. */
  scope?: () => ClaimScope | undefined;
}

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
  /** The fill under way, and whether another was asked for meanwhile. */
  private filling: Promise<void> | null = null;
  private refill = false;
  /** A fill asked for by runs that ended, started once the turn's other runs have ended too (fillSoon). */
  private queuedFill: Promise<void> | null = null;

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
    await this.settled();
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
        logger.warn(
          { task_id: id },
          `${LOG_WORDS.recovered} ${id}: the daemon that ran it died or lost its lease; retrying with the same req_id`,
        );
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
        if (!this.holding && (await store.tasks.dueTasks(1, this.o.scope?.())).length) {
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
        await this.fill();
        // Every run under way: the next one is claimed when one ends (fill() again), not on the clock.
        if (this.active.size >= this.concurrency) return this.pollMs;
      }
      const wake = await store.tasks.nextWakeAt(this.o.scope?.());
      return wake === null ? this.pollMs : Math.min(this.pollMs, Math.max(0, wake - this.o.clock()));
    } catch (error) {
      this.o.logger.error({ error: error instanceof Error ? error.message : String(error) }, `scheduler: ${String(error)}`);
      return this.pollMs;
    }
  }

  private sendable(): boolean {
    return this.o.canSend?.() ?? true;
  }

  /**
   * Claims due tasks, highest priority first, until `concurrency` runs are under way, and starts them without waiting
   * for them: a pass never waits for a send, so arming and expiry go on while sends are paced (AICS_SEND_RATE), and a
   * task received meanwhile takes its place by priority. Each run that ends claims the next. Never two fills at once.
   */
  private fill(): Promise<void> {
    if (this.filling) {
      this.refill = true;
      return this.filling;
    }
    // Cleared in a callback, never inside fillOnce: a fill that ends before its first await would otherwise clear the
    // field before it is set, and leave a settled promise there that blocks every later fill.
    const filling = this.fillOnce().finally(() => {
      this.filling = null;
    });
    this.filling = filling;
    return filling;
  }

  /**
   * A fill after the runs that end in this turn of the event loop: their outcomes commit together (the group
   * commit), so they end together, and one claim then takes all the room they left instead of one claim each (a
   * claim is a transaction, the largest cost of firing a burst of due tasks).
   */
  private fillSoon(): void {
    if (this.queuedFill) return;
    this.queuedFill = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.queuedFill = null;
      return this.fill();
    });
  }

  private async fillOnce(): Promise<void> {
    try {
      do {
        this.refill = false;
        const room = this.concurrency - this.active.size;
        if (room <= 0 || this.stopped || this.o.paused?.() || !this.sendable()) return;
        const { tasks } = this.o.store;
        const scope = this.o.scope?.();
        if (tasks.claimDue) {
          // One transaction claims the batch; a run that finds the bridge gone puts its task back (no attempt spent).
          const claimed = await tasks.claimDue(room, { owner: this.o.owner, leaseMs: this.o.leaseMs, reason: firingReason, scope });
          for (const task of claimed) this.launch(task);
          continue;
        }
        for (const task of await tasks.dueTasks(room, scope)) {
          // Stopping, or the bridge went away meanwhile: the rest stay waiting, due as they are.
          if (this.stopped || !this.sendable()) return;
          await this.fire(task);
        }
      } while (this.refill);
    } catch (error) {
      this.o.logger.error({ error: error instanceof Error ? error.message : String(error) }, `scheduler: ${String(error)}`);
    }
  }

  /** Claims one task and starts its run (a store without claimDue). */
  private async fire(task: TaskRecord) {
    const claimed = await this.o.store.tasks.claim(task.task_id, {
      owner: this.o.owner,
      leaseMs: this.o.leaseMs,
      reason: firingReason(task),
    });
    if (claimed) this.launch(claimed);
  }

  /** Starts a claimed task's run; the run's end makes room for the next due task. */
  private launch(task: TaskRecord) {
    const { logger } = this.o;
    const lateMs = task.due_at ? this.o.clock() - Date.parse(task.due_at) : 0;
    logger.info(
      { task_id: task.task_id, customer_id: task.target?.from_id ?? task.customer_id, late_ms: lateMs },
      `${LOG_WORDS.triggered} ${task.task_id} (${task.trigger.type}${lateMs > 1000 ? `, ${Math.round(lateMs / 1000)} s late` : ''})`,
    );
    const run: Promise<unknown> = this.o.runner!.run(task).then(
      (outcome) => {
        this.active.delete(run);
        // A send that never left (the bridge went away, the desk is stopping) is put back: the next pass, not this
        // run's end, fires it again, so that nothing spins while sends cannot leave.
        if (!this.stopped && outcome !== 'waiting') this.fillSoon();
      },
      (error: unknown) => {
        this.active.delete(run);
        this.o.logger.error({ task_id: task.task_id, error: String(error) }, `scheduler: ${String(error)}`);
      },
    );
    this.active.add(run);
  }

  /** Resolves once no claim is under way and every run started so far has ended (stop(); tests run passes by hand). */
  async settled(): Promise<void> {
    while (this.queuedFill || this.filling || this.active.size) {
      await this.queuedFill;
      await this.filling;
      await Promise.allSettled([...this.active]);
    }
  }
}

/** The event's reason when the clock fires a task: its first firing or a retry. */
function firingReason(task: TaskRecord): string {
  return task.retry_count > 0 || task.triggered_at ? `任务触发 (retry ${task.retry_count + 1})` : '任务触发: time reached';
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
