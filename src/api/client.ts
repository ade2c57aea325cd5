/**
 * A small typed client of the daemon's HTTP API (undici). The monitor and any command that talks to a running
 * daemon use it; nothing else should build these requests by hand.
 */
import { AicsError, DaemonUnreachableError, ExitCode, type ExitCodeValue } from '../errors.js';
import { isEnvelope, type Envelope, type ErrorData } from './envelope.js';
import { API_PATHS } from './types.js';
import type { CancelData, HealthData, HealthMinimalData, ListData, ListParams, ReceiveData, ReceiveRequest, StatusData } from './types.js';

export interface ClientOptions {
  /** e.g. http://127.0.0.1:6060 (AI_CS_API_URL) */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set (AICS_API_TOKEN). */
  token?: string | null;
  timeoutMs?: number;
}

/** A non-2xx answer of the daemon; `status` is the envelope's code and `field` the input at fault. */
export class ApiError extends AicsError {
  constructor(
    readonly status: number,
    message: string,
    readonly data: unknown,
  ) {
    const field =
      data && typeof data === 'object' && typeof (data as { field?: unknown }).field === 'string'
        ? (data as { field: string }).field
        : undefined;
    super(message, exitCodeFor(status), status, field);
  }
}

function exitCodeFor(status: number): ExitCodeValue {
  if (status === 404) return ExitCode.notFound;
  if (status === 409) return ExitCode.invalidState;
  if (status === 503) return ExitCode.daemonUnreachable;
  if (status >= 400 && status < 500) return ExitCode.usage;
  return ExitCode.unexpected;
}

export class AicsClient {
  readonly baseUrl: string;
  private readonly token: string | null;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token ?? null;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  health(): Promise<HealthData | HealthMinimalData> {
    return this.call('GET', API_PATHS.health);
  }

  receive(payload: ReceiveRequest): Promise<ReceiveData> {
    return this.call('POST', API_PATHS.receive, payload);
  }

  status(taskId: string): Promise<StatusData> {
    return this.call('GET', API_PATHS.status.replace(':task_id', encodeURIComponent(taskId)));
  }

  cancel(taskId: string, reason = ''): Promise<CancelData> {
    return this.call('POST', API_PATHS.cancel, { task_id: taskId, reason });
  }

  list(params: ListParams = {}): Promise<ListData> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(key, String(value));
    const qs = query.toString();
    return this.call('GET', `${API_PATHS.list}${qs ? `?${qs}` : ''}`);
  }

  /** One request; the envelope's data on 2xx, an ApiError otherwise, DaemonUnreachableError when nobody answers. */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    // undici is loaded on the first request, not with this module: `aics status` with no daemon running, and every
    // command that only might ask one, start without it (it is the largest module a command would load).
    const { request } = await import('undici');
    let response;
    try {
      response = await request(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (error) {
      const e = error as { code?: string; message?: string };
      throw new DaemonUnreachableError(
        `daemon at ${this.baseUrl} is unreachable (${e.code ?? e.message}): is "aics serve" running there? (AI_CS_API_URL)`,
      );
    }
    const text = await response.body.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!isEnvelope(parsed)) {
      throw new ApiError(
        response.statusCode,
        `unexpected answer from ${this.baseUrl}${path} (HTTP ${response.statusCode}): ${text.slice(0, 200)}`,
        null,
      );
    }
    const env = parsed as Envelope<T | ErrorData>;
    if (response.statusCode < 200 || response.statusCode >= 300) throw new ApiError(env.code, env.message, env.data);
    return env.data as T;
  }
}
