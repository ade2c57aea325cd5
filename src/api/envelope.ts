/**
 * The envelope of every HTTP response (DESIGN.md "HTTP API"): `{"code","message","data"}`, with the HTTP status equal
 * to `code`. Messages keep the seed's Chinese wording. Shared by the daemon (which sends it) and the client.
 */
export interface Envelope<T = unknown> {
  code: number;
  message: string;
  data: T;
}

/** What a failed request carries in `data`: the payload field or query parameter at fault, when there is one. */
export type ErrorData = { field?: string; [key: string]: unknown } | null;

/** The seed's messages, and ours in its style. */
export const MESSAGES = {
  ok: 'OK',
  received: '任务接收成功',
  cancelled: '任务取消成功',
  callbackReceived: '回调接收成功',
  badRequest: '参数错误',
  unauthorized: '未授权',
  forbiddenHost: '禁止访问',
  tooManyRequests: '请求过于频繁',
  taskNotFound: '任务不存在',
  routeNotFound: '接口不存在',
  methodNotAllowed: '请求方法不允许',
  conflict: '任务状态冲突',
  payloadTooLarge: '请求体过大',
  headersTooLarge: '请求头过大',
  requestTimeout: '请求超时',
  unsupportedMediaType: '不支持的 Content-Type',
  internal: '服务器内部错误',
  unavailable: '服务不可用',
  stopping: '服务正在停止',
} as const;

export function envelope<T>(code: number, message: string, data: T): Envelope<T> {
  return { code, message, data };
}

export function ok<T>(data: T, message: string = MESSAGES.ok): Envelope<T> {
  return envelope(200, message, data);
}

/** `参数错误: trigger.keyword: is required` with `data.field`. */
export function badRequest(detail: string, field?: string): Envelope<ErrorData> {
  return envelope(400, `${MESSAGES.badRequest}: ${detail}`, field ? { field } : null);
}

export function isEnvelope(value: unknown): value is Envelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Envelope).code === 'number' &&
    typeof (value as Envelope).message === 'string' &&
    'data' in value
  );
}
