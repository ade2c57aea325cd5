/**
 * The --api-only mode's only loop: once a second, arm pending tasks (pending → waiting) and expire overdue ones,
 * logging 任务过期 for each. No scheduler: replies and clock triggers are fired by a daemon in another mode on the
 * same database. One tick at a time (a setTimeout chain, never overlapping ticks); a failing tick is logged and
 * the next one tries again.
 */
import type { Logger } from '../log.js';
import { LOG_WORDS } from '../log.js';
import type { TaskStore } from '../store/index.js';

export interface HousekeepingOptions {
  store: TaskStore;
  logger: Logger;
  /** Who the task events name, e.g. "daemon:host:1234". */
  actor: string;
  intervalMs?: number;
}

export class Housekeeping {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private failing = false;
  private readonly intervalMs: number;

  constructor(private readonly options: HousekeepingOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops the loop; waits for a tick under way, so the database can be closed after it. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass; returns what it changed. */
  async tick(): Promise<{ armed: string[]; expired: string[] }> {
    const { store, logger, actor } = this.options;
    const expired = await store.expire(actor);
    for (const taskId of expired) {
      const task = await store.get(taskId);
      logger.info(
        { task_id: taskId, customer_id: task?.customer_id ?? undefined, timeout_hours: task?.timeout_hours },
        `${LOG_WORDS.expired} ${taskId}: not triggered within timeout_hours (${task?.timeout_hours ?? '?'})`,
      );
    }
    const armed = await store.arm(actor);
    if (armed.length > 0) logger.debug({ task_ids: armed }, `armed ${armed.length} task(s)`);
    return { armed, expired };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick().then(
        () => {
          if (this.failing) this.options.logger.info('housekeeping recovered');
          this.failing = false;
        },
        (error: unknown) => {
          // Logged once per run of failures, not once a second.
          if (!this.failing) this.options.logger.error({ err: error }, `housekeeping failed: ${(error as Error).message}`);
          this.failing = true;
        },
      ).finally(() => {
        this.running = null;
        this.schedule(this.intervalMs);
      });
    }, delayMs);
  }
}
