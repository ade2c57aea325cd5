/** Operators' corrections: `aics task retry` (a failed task runs again) and `aics task reschedule` (a new time). */
import { LOG_WORDS } from '../log-words.js';
import type { TaskRecord } from '../store/index.js';
import type { AppContext, Caller } from './context.js';

/** One page of failed tasks at a time, so that "retry them all" does not read the whole table at once. */
const PAGE = 200;

/** Every failed task, oldest page first; with sinceMs, only those that ended since then. */
export async function failedTaskIds(ctx: Pick<AppContext, 'store'>, sinceMs: number | null): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ; page++) {
    const { items } = await ctx.store.tasks.list({ status: 'failed', page, pageSize: PAGE });
    for (const t of items) {
      const ended = t.completed_at ? Date.parse(t.completed_at) : NaN;
      if (sinceMs === null || (!Number.isNaN(ended) && ended >= sinceMs)) ids.push(t.task_id);
    }
    if (items.length < PAGE) return ids;
  }
}

/**
 * Each failed task back to waiting, due now, as a new attempt (only a failed task: exit 5 otherwise); logs
 * `任务重试 <task_id>` for each and wakes the scheduler.
 */
export async function retryTasks(ctx: AppContext, taskIds: readonly string[], reason: string, caller: Caller): Promise<TaskRecord[]> {
  const retried: TaskRecord[] = [];
  for (const id of taskIds) {
    const task = await ctx.store.tasks.redrive(id, reason, caller.actor);
    retried.push(task);
    ctx.logger.info(
      { task_id: task.task_id, customer_id: task.customer_id ?? undefined, attempt: task.retry_count + 1, reason: reason || undefined },
      `${LOG_WORDS.retried} ${task.task_id}: waiting, due now (attempt ${task.retry_count + 1}, up to ${task.max_retry + 1})`,
    );
    ctx.wake?.(task.task_id);
  }
  return retried;
}

/** A time_reach task that has not run yet gets a new time (read in the store's zone); logged and the scheduler woken. */
export async function rescheduleTask(ctx: AppContext, taskId: string, time: string, caller: Caller): Promise<TaskRecord> {
  const task = await ctx.store.tasks.reschedule(taskId, time, caller.actor);
  ctx.logger.info(
    { task_id: task.task_id, customer_id: task.customer_id ?? undefined, due_at: task.due_at ?? undefined },
    `rescheduled ${task.task_id}`,
  );
  ctx.wake?.(task.task_id);
  return task;
}
