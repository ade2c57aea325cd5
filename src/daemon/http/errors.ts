/** Every failure as an envelope: AicsErrors by their httpStatus, fastify's own errors by their codes, the rest 500. */
import { MESSAGES, badRequest, envelope, type Envelope, type ErrorData } from '../../api/index.js';
import { AicsError } from '../../errors.js';

export const BODY_LIMIT_BYTES = 256 * 1024;

/** JSON bodies nested deeper are refused (400): a task is 3 levels deep; JSON.stringify overflows near 5 000. */
export const MAX_BODY_DEPTH = 64;

/** Whether `value` nests objects or arrays more than `max` levels deep (iterative: no recursion to overflow). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

interface FastifyishError {
  code?: string;
  statusCode?: number;
  message?: string;
}

export function errorEnvelope(error: unknown): Envelope<ErrorData> {
  if (error instanceof AicsError) {
    switch (error.httpStatus) {
      case 400:
        return badRequest(error.message, error.field);
      case 404:
        return envelope(404, MESSAGES.taskNotFound, null);
      case 409:
        return envelope(409, `${MESSAGES.conflict}: ${error.message}`, null);
      case 503:
        return envelope(503, `${MESSAGES.unavailable}: ${error.message}`, null);
      default:
        return envelope(error.httpStatus >= 400 ? error.httpStatus : 500, `${MESSAGES.internal}: ${error.message}`, null);
    }
  }
  const e = (error ?? {}) as FastifyishError;
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return badRequest(`body: is not valid JSON (${e.message ?? 'parse error'})`, 'body');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest('body: is empty; send a JSON object', 'body');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return badRequest('body: its length does not match Content-Length', 'body');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return envelope(413, `${MESSAGES.payloadTooLarge}: the body is larger than ${BODY_LIMIT_BYTES / 1024} KiB`, null);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return envelope(415, `${MESSAGES.unsupportedMediaType}: send the body as application/json`, null);
    case 'FST_ERR_BAD_URL':
      return badRequest('url: is not a valid URL', 'url');
  }
  // JSON.parse errors from the body parser carry statusCode 400; so may other client errors.
  if (e instanceof SyntaxError || (e.statusCode === 400 && /JSON/i.test(e.message ?? ''))) {
    return badRequest(`body: is not valid JSON (${e.message ?? 'parse error'})`, 'body');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return envelope(e.statusCode, e.message ?? `HTTP ${e.statusCode}`, null);
  }
  return envelope(500, MESSAGES.internal, null);
}
