/** Cancelling a task that has not run yet: POST /api/task/cancel and `aics task cancel`. */
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { LOG_WORDS } from '../log-words.js';
import type { TaskRecord } from '../store/index.js';
import { describeIssues } from '../tasks/index.js';
import type { AppContext, Caller } from './context.js';

/** The cancel request, as the seed's POST /api/task/cancel takes it. */
export const cancelSchema = z.object({
  task_id: z.string().trim().min(1, 'must not be empty').max(128),
  reason: z.string().max(500, 'must be at most 500 characters').optional(),
});

export interface Cancelled {
  task: TaskRecord;
  /** The reason as given ('' when none). */
  reason: string;
}

/**
 * Validates `{task_id, reason}` (the error names the field), cancels the task if it is still pending or waiting (the
 * store refuses otherwise: 409 / exit 5) and logs `任务取消 <task_id>: <reason>`.
 */
export async function cancelTask(ctx: AppContext, body: unknown, caller: Caller): Promise<Cancelled> {
  const parsed = cancelSchema.safeParse(body);
  if (!parsed.success) {
    const { message, field } = describeIssues(parsed.error);
    throw new ValidationError(message, field);
  }
  const { task_id, reason = '' } = parsed.data;
  const task = await ctx.store.tasks.cancel(task_id, reason, caller.actor);
  ctx.logger.info(
    { task_id, customer_id: task.customer_id ?? undefined, reason },
    `${LOG_WORDS.cancelled} ${task_id}${reason ? `: ${reason}` : ''}`,
  );
  return { task, reason };
}
