/** Receiving a task: POST /api/task/receive and `aics task add`. */
import { LOG_WORDS } from '../log-words.js';
import type { TaskRecord } from '../store/index.js';
import { taskWarnings, validateTask } from '../tasks/index.js';
import type { AppContext, Caller } from './context.js';

export interface ReceiveOptions extends Caller {
  /** The folder a file_url path must stay inside (AICS_FILES_DIR). */
  filesDir: string;
  /** AICS_SCOPE_ANY_CUSTOMER: whether an any-customer trigger naming a customer is what was meant. */
  scopeAnyCustomer: boolean;
}

export interface Received {
  task: TaskRecord;
  /** false: the same task_id with the same payload was already stored (nothing changed). */
  created: boolean;
  /** The task is valid but probably not what was meant. */
  warnings: string[];
}

/**
 * Validates the body (the error names the field), stores it pending (idempotent on the same body, 409 on another),
 * wakes the scheduler for a new task and logs `任务接收 <task_id>`, with the warnings before it.
 */
export async function receiveTask(ctx: AppContext, body: unknown, options: ReceiveOptions): Promise<Received> {
  const payload = validateTask(body, options.filesDir);
  const { task, created } = await ctx.store.tasks.receive(payload, options.actor);
  if (created) ctx.wake?.(task.task_id);
  const warnings = taskWarnings(task, options.scopeAnyCustomer);
  for (const warning of warnings)
    ctx.logger.warn({ task_id: task.task_id, customer_id: task.customer_id ?? undefined }, `${task.task_id}: ${warning}`);
  ctx.logger.info(
    {
      task_id: task.task_id,
      customer_id: task.customer_id ?? undefined,
      trigger_type: task.trigger.type,
      action_type: task.action.type,
      created_by: task.created_by ?? undefined,
      duplicate: created ? undefined : true,
    },
    created ? `${LOG_WORDS.received} ${task.task_id}` : `${LOG_WORDS.received} ${task.task_id} (重复: 已存在, ${task.status})`,
  );
  return { task, created, warnings };
}
