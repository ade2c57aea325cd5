/**
 * POST /api/task/callback: a sink that records every callback it receives (the seed's default TIANWANG_CALLBACK_URL
 * points at the daemon itself), so a trial without a real Tianwang can see what would have been sent.
 */
import type { FastifyInstance } from 'fastify';
import { API_PATHS, MESSAGES, SIGNATURE_HEADER, ok, type CallbackData } from '../../api/index.js';
import { ValidationError } from '../../errors.js';
import type { HttpContext } from './server.js';

export function registerCallbackRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.post(API_PATHS.callback, async (req) => {
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('body: must be a JSON object', 'body');
    const signature = req.headers[SIGNATURE_HEADER];
    const record = await ctx.store.callbacks.record({
      body,
      remoteAddress: req.ip,
      signature: typeof signature === 'string' ? signature : null,
    });
    ctx.logger.info(
      { task_id: record.task_id ?? undefined, status: record.status ?? undefined, event_id: record.event_id ?? undefined, callback_id: record.id },
      `回调接收 ${record.task_id ?? '(no task_id)'} ${record.status ?? ''}`.trim(),
    );
    return ok<CallbackData>({ id: record.id }, MESSAGES.callbackReceived);
  });
}
