/** The task routes of the seed: receive, status, cancel, list. The work is the use cases' (src/app). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { API_PATHS, MESSAGES, ok, type CancelData, type ListData, type ReceiveData, type StatusData } from '../../api/index.js';
import { cancelTask, listTasks, parseListQuery, receiveTask, taskStatus, type AppContext } from '../../app/index.js';
import type { HttpContext } from './context.js';
import { taskAttemptView, taskEventView, taskPageView, taskView } from './views.js';

const callerOf = (req: FastifyRequest) => ({ actor: `api:${req.ip}` });

export function registerTaskRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const scopeAnyCustomer = ctx.settings.scopeAnyCustomer ?? false;
  const use: AppContext = {
    store: ctx.store,
    logger: ctx.logger,
    clock: Date.now,
    wake: (taskId) => ctx.onTaskReceived?.(taskId),
  };

  app.post(API_PATHS.receive, async (req) => {
    const { task, warnings } = await receiveTask(use, req.body, { ...callerOf(req), filesDir: ctx.settings.filesDir, scopeAnyCustomer });
    return ok<ReceiveData>({ task_id: task.task_id, status: task.status, ...(warnings.length ? { warnings } : {}) }, MESSAGES.received);
  });

  app.get<{ Params: { task_id: string } }>(API_PATHS.status, async (req) => {
    const { task, events, attempts, warnings } = await taskStatus(use, req.params.task_id, { scopeAnyCustomer });
    return ok<StatusData>({
      ...taskView(task),
      events: events.map(taskEventView),
      attempts: attempts.map(taskAttemptView),
      ...(warnings.length ? { warnings } : {}),
    });
  });

  app.post(API_PATHS.cancel, async (req) => {
    const { task, reason } = await cancelTask(use, req.body, callerOf(req));
    return ok<CancelData>({ task_id: task.task_id, status: task.status, reason: task.error_message ?? reason }, MESSAGES.cancelled);
  });

  app.get(API_PATHS.list, async (req) =>
    ok<ListData>(taskPageView(await listTasks(use, parseListQuery(req.query as Record<string, unknown>)))),
  );
}
