/**
 * POST /api/task/callback: a sink that records every callback it receives (the seed's default TIANWANG_CALLBACK_URL
 * points at the daemon itself), so a trial without a real Tianwang can see what would have been sent.
 *
 * It is open on loopback (no token by default), so what it keeps is bounded (issue #17 point 8): one body of at most
 * CALLBACK_BODY_LIMIT_BYTES, at most CALLBACK_BYTES_PER_SECOND stored on average (a burst of CALLBACK_BURST_BYTES),
 * 429 beyond that; and the store keeps the newest callbacks only (see SqliteCallbackSink).
 */
import type { FastifyInstance } from 'fastify';
import { API_PATHS, MESSAGES, SIGNATURE_HEADER, envelope, ok, type CallbackData } from '../../api/index.js';
import { ValidationError } from '../../errors.js';
import { TokenBucket } from './rate-limit.js';
import type { HttpContext } from './context.js';

/** Our own callbacks and handoff notices are about 1 KiB. */
export const CALLBACK_BODY_LIMIT_BYTES = 64 * 1024;
export const CALLBACK_BYTES_PER_SECOND = 256 * 1024;
export const CALLBACK_BURST_BYTES = 4 * 1024 * 1024;

export function registerCallbackRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const bucket = new TokenBucket(CALLBACK_BURST_BYTES, CALLBACK_BYTES_PER_SECOND);
  app.post(API_PATHS.callback, async (req, reply) => {
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('body: must be a JSON object', 'body');
    const bytes = Buffer.byteLength(JSON.stringify(body));
    if (bytes > CALLBACK_BODY_LIMIT_BYTES) {
      req.failure = `callback body of ${bytes} bytes`;
      return reply
        .code(413)
        .send(envelope(413, `${MESSAGES.payloadTooLarge}: a callback body is at most ${CALLBACK_BODY_LIMIT_BYTES / 1024} KiB`, null));
    }
    const taken = bucket.take(bytes);
    if (!taken.ok) {
      req.failure = 'callback sink rate limit';
      reply.header('retry-after', String(Math.max(1, Math.ceil(taken.retryAfterMs / 1000))));
      return reply
        .code(429)
        .send(
          envelope(
            429,
            `${MESSAGES.tooManyRequests}: the callback sink stores at most ${CALLBACK_BYTES_PER_SECOND / 1024} KiB a second; retry later`,
            null,
          ),
        );
    }
    const signature = req.headers[SIGNATURE_HEADER];
    const record = await ctx.store.callbacks.record({
      body,
      remoteAddress: req.ip,
      signature: typeof signature === 'string' ? signature : null,
    });
    ctx.logger.info(
      {
        task_id: record.task_id ?? undefined,
        status: record.status ?? undefined,
        event_id: record.event_id ?? undefined,
        callback_id: record.id,
      },
      `回调接收 ${record.task_id ?? '(no task_id)'} ${record.status ?? ''}`.trim(),
    );
    return ok<CallbackData>({ id: record.id }, MESSAGES.callbackReceived);
  });
}
