/** The task routes of the seed: receive, status, cancel, list. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { API_PATHS, MESSAGES, ok, type CancelData, type ListData, type ReceiveData, type StatusData } from '../../api/index.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { LOG_WORDS } from '../../log.js';
import { MAX_PAGE_SIZE, type ListQuery } from '../../store/index.js';
import {
  TASK_STATUSES,
  TRIGGER_TYPES,
  describeIssues,
  taskWarnings,
  validateTask,
  type TaskStatus,
  type TriggerType,
} from '../../tasks/index.js';
import type { HttpContext } from './context.js';

const actorOf = (req: FastifyRequest) => `api:${req.ip}`;

const cancelSchema = z.object({
  task_id: z.string().trim().min(1, 'must not be empty').max(128),
  reason: z.string().max(500, 'must be at most 500 characters').optional(),
});

export function registerTaskRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { store, logger } = ctx;

  app.post(API_PATHS.receive, async (req) => {
    const payload = validateTask(req.body, ctx.settings.filesDir);
    const { task, created } = await store.tasks.receive(payload, actorOf(req));
    if (created) ctx.onTaskReceived?.(task.task_id);
    const warnings = taskWarnings(task, ctx.settings.scopeAnyCustomer ?? false);
    for (const warning of warnings) logger.warn({ task_id: task.task_id, customer_id: task.customer_id ?? undefined }, `${task.task_id}: ${warning}`);
    logger.info(
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
    return ok<ReceiveData>({ task_id: task.task_id, status: task.status, ...(warnings.length ? { warnings } : {}) }, MESSAGES.received);
  });

  app.get<{ Params: { task_id: string } }>(API_PATHS.status, async (req) => {
    const task = await store.tasks.get(req.params.task_id);
    if (!task) throw new NotFoundError(`task ${req.params.task_id} not found`);
    const events = await store.tasks.events(task.task_id);
    const attempts = await store.tasks.attempts(task.task_id);
    const warnings = taskWarnings(task, ctx.settings.scopeAnyCustomer ?? false);
    return ok<StatusData>({ ...task, events, attempts, ...(warnings.length ? { warnings } : {}) });
  });

  app.post(API_PATHS.cancel, async (req) => {
    const parsed = cancelSchema.safeParse(req.body);
    if (!parsed.success) {
      const { message, field } = describeIssues(parsed.error);
      throw new ValidationError(message, field);
    }
    const { task_id, reason = '' } = parsed.data;
    const task = await store.tasks.cancel(task_id, reason, actorOf(req));
    logger.info({ task_id, customer_id: task.customer_id ?? undefined, reason }, `${LOG_WORDS.cancelled} ${task_id}${reason ? `: ${reason}` : ''}`);
    return ok<CancelData>({ task_id, status: task.status, reason: task.error_message ?? reason }, MESSAGES.cancelled);
  });

  app.get(API_PATHS.list, async (req) => ok<ListData>(await store.tasks.list(parseListQuery(req.query as Record<string, unknown>))));
}

/** The list's query parameters; each bad one is a 400 naming it. Empty values count as absent. */
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
