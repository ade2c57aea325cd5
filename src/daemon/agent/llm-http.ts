/**
 * How the agent reaches the LLM endpoint: a connection pool of its own (AICS_LLM_CONNECTIONS) and a gate that lets
 * at most that many requests be under way at once.
 *
 * - The gate: a turn builds its request (messages, tool definitions, the JSON body, the openai client's timers and
 *   abort controllers) only once a connection is free. With 10,000 customers writing at once, the other turns wait
 *   as a queued callback each instead of 10,000 serialized bodies waiting in the pool; and AICS_LLM_TIMEOUT_MS
 *   bounds the LLM's own answer, not the wait for a connection, so a burst does not turn into a wave of timeouts
 *   (each one counting as an LLM failure, three of them a 转接人工).
 * - The fetch: undici's request() on that pool, the body read whole with a cap (LLM_BODY_LIMIT_BYTES) and handed to
 *   the openai package as a ready Response. The global fetch costs several times more CPU per request (web streams,
 *   a second undici inside Node), and under a burst CPU per request is what the customers wait for.
 */
import { Agent, request } from 'undici';
import { BodyTooLarge, readCapped } from '../peers/capped-body.js';

/** At most `size` holders at once; the others wait in arrival order. */
export class Gate {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];
  private head = 0;

  constructor(readonly size: number) {}

  /** Runs fn once a place is free, and frees it when fn settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.busy++;
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Turns waiting for a place. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  private release() {
    if (this.head < this.waiting.length) {
      // The place passes straight to the next in line (busy stays the same).
      const next = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined as never;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      next();
    } else this.busy--;
  }
}

export interface LlmHttp {
  /** For the openai package's `fetch` option. */
  fetch: typeof fetch;
  gate: Gate;
  close(): Promise<void>;
}

/** A pool of `connections` to the LLM endpoint; response bodies over `bodyLimit` bytes fail with BodyTooLarge. */
export function llmHttp(connections: number, bodyLimit: number): LlmHttp {
  const pool = new Agent({ connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const fetchOnPool = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' || input instanceof URL ? input : input.url;
    const res = await request(url, {
      dispatcher: pool,
      method: (init?.method ?? 'GET') as 'POST',
      headers: headerRecord(init?.headers),
      body: init?.body as string | Buffer | null | undefined,
      signal: init?.signal ?? undefined,
    });
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > bodyLimit) {
      res.body.destroy();
      throw new BodyTooLarge(bodyLimit);
    }
    const body = await readCapped(res.body, bodyLimit);
    if (body.truncated) throw new BodyTooLarge(bodyLimit);
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else if (value !== undefined) headers.set(name, value);
    }
    // 204/304 may carry no body in a Response.
    const empty = res.statusCode === 204 || res.statusCode === 304;
    return new Response(empty ? null : body.text, { status: res.statusCode, headers });
  };
  return { fetch: fetchOnPool as typeof fetch, gate: new Gate(connections), close: () => pool.close() };
}

function headerRecord(h: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (h instanceof Headers || Array.isArray(h)) for (const [k, v] of h as Iterable<[string, string]>) out[k] = v;
  else Object.assign(out, h);
  return out;
}
