/** Reading tasks: GET /api/task/list and `aics task list`, GET /api/task/status and `aics task status`, the stats. */
import { NotFoundError, ValidationError } from '../errors.js';
import {
  MAX_PAGE_SIZE,
  type ListQuery,
  type StoreStats,
  type TaskAttempt,
  type TaskEvent,
  type TaskPage,
  type TaskRecord,
} from '../store/index.js';
import { TASK_STATUSES, TRIGGER_TYPES, taskWarnings, type TaskStatus, type TriggerType } from '../tasks/index.js';
import type { AppContext } from './context.js';

export function listTasks(ctx: Pick<AppContext, 'store'>, query: ListQuery): Promise<TaskPage> {
  return ctx.store.tasks.list(query);
}

/** The list's query parameters as the HTTP API takes them; each bad one is a 400 naming it. Empty values count as absent. */
export function parseListQuery(query: Record<string, unknown>): ListQuery {
  const one = (name: string): string | undefined => {
    const value = query[name];
    if (Array.isArray(value)) throw new ValidationError(`${name}: given more than once`, name);
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const whole = (name: string, fallback: number, max?: number): number => {
    const text = one(name);
    if (text === undefined) return fallback;
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < 1 || (max !== undefined && n > max)) {
      throw new ValidationError(`${name}: must be a whole number from 1${max !== undefined ? ` to ${max}` : ''}, not "${text}"`, name);
    }
    return n;
  };
  const status = one('status');
  if (status !== undefined && !(TASK_STATUSES as readonly string[]).includes(status)) {
    throw new ValidationError(`status: must be one of ${TASK_STATUSES.join(', ')}, not "${status}"`, 'status');
  }
  const triggerType = one('trigger_type');
  if (triggerType !== undefined && !(TRIGGER_TYPES as readonly string[]).includes(triggerType)) {
    throw new ValidationError(`trigger_type: must be one of ${TRIGGER_TYPES.join(', ')}, not "${triggerType}"`, 'trigger_type');
  }
  return {
    status: status as TaskStatus | undefined,
    customerId: one('customer_id'),
    triggerType: triggerType as TriggerType | undefined,
    page: whole('page', 1),
    pageSize: whole('page_size', 20, MAX_PAGE_SIZE),
  };
}

export interface TaskStatusReport {
  task: TaskRecord;
  /** Every transition, oldest first. */
  events: TaskEvent[];
  /** Every attempt of its action. */
  attempts: TaskAttempt[];
  warnings: string[];
}

/**
 * One task with its history and attempts; NotFoundError (404 / exit 4) when unknown. `nameDatabase` adds the
 * database file to that message, for a terminal where the wrong --db is the usual cause.
 */
export async function taskStatus(
  ctx: Pick<AppContext, 'store'>,
  taskId: string,
  options: { scopeAnyCustomer: boolean; nameDatabase?: boolean },
): Promise<TaskStatusReport> {
  const { tasks } = ctx.store;
  const task = await tasks.get(taskId);
  if (!task) throw new NotFoundError(`task ${taskId} not found${options.nameDatabase ? ` in ${tasks.file}` : ''}`);
  const events = await tasks.events(task.task_id);
  const attempts = await tasks.attempts(task.task_id);
  return { task, events, attempts, warnings: taskWarnings(task, options.scopeAnyCustomer) };
}

/** Counts by status, the oldest pending task, the next due time and the database's sizes. */
export function taskStats(ctx: Pick<AppContext, 'store'>): Promise<StoreStats> {
  return ctx.store.tasks.stats();
}
