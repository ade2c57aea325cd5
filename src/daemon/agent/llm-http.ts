/**
 * How the agent reaches the LLM endpoint: a connection pool of its own (AICS_LLM_CONNECTIONS) and a gate that lets
 * at most that many requests be under way at once.
 *
 * - The gate: a turn builds its request (messages, tool definitions, the JSON body, the openai client's timers and
 *   abort controllers) only once a connection is free. With 10,000 customers writing at once, the other turns wait
 *   as a queued callback each instead of 10,000 serialized bodies waiting in the pool; and AICS_LLM_TIMEOUT_MS
 *   bounds the LLM's own answer, not the wait for a connection, so a burst does not turn into a wave of timeouts
 *   (each one counting as an LLM failure, three of them a 转接人工).
 * - The request: undici's request() on that pool with a body built by the provider, the answer read whole with a cap
 *   (LLM_BODY_LIMIT_BYTES) and parsed. The global fetch costs several times more CPU per request (web streams, a
 *   second undici inside Node), and so did the openai package's request building on top of it (headers, options,
 *   a Response per answer): under a burst, CPU per request is what the customers wait for.
 */
import { Agent, request } from 'undici';
import { BodyTooLarge, readCapped } from '../peers/capped-body.js';

/**
 * At most `size` holders at once; the others wait in arrival order. Two ways in: run(fn) (a promise per waiter, for
 * the few requests of one turn), and offer(take) (a bare callback per waiter, for the conversation manager, which
 * queues thousands of customers in a burst and must hold as little as possible for each).
 */
export class Gate {
  private busy = 0;
  private readonly waiting: (() => boolean)[] = [];
  private head = 0;

  constructor(readonly size: number) {}

  /** Runs fn once a place is free, and frees it when fn settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy >= this.size) await new Promise<void>((resolve) => this.waiting.push(() => (resolve(), true)));
    else this.busy++;
    try {
      return await fn();
    } finally {
      this.leave();
    }
  }

  /**
   * Calls `take` once a place is free (at once when one is). `take` returns true to hold the place, to be freed
   * with leave(), or false to decline it: the place goes to the next in line.
   */
  offer(take: () => boolean): void {
    if (this.busy >= this.size) {
      this.waiting.push(take);
      return;
    }
    this.busy++;
    if (!take()) this.leave();
  }

  /** Frees a place taken by offer(): it passes straight to the next in line that takes it (busy stays the same). */
  leave(): void {
    // A loop, not recursion: after a shutdown thousands in line may decline one after another.
    while (this.head < this.waiting.length) {
      const next = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined as never;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      if (next()) return;
    }
    this.busy--;
  }

  /** Waiting for a place. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** Places held. */
  get held(): number {
    return this.busy;
  }
}

export interface LlmHttp {
  /** POSTs a prebuilt JSON body and resolves with the parsed answer; throws on a timeout, an HTTP error, bad JSON. */
  postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<unknown>;
  gate: Gate;
  close(): Promise<void>;
}

/** A pool of `connections` to the LLM endpoint; response bodies over `bodyLimit` bytes fail with BodyTooLarge. */
export function llmHttp(connections: number, bodyLimit: number): LlmHttp {
  const pool = new Agent({ connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const postJson = async (url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<unknown> => {
    const signal = AbortSignal.timeout(timeoutMs);
    let text: string;
    let status: number;
    try {
      const res = await request(url, { dispatcher: pool, method: 'POST', headers, body, signal });
      status = res.statusCode;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > bodyLimit) {
        res.body.destroy();
        throw new BodyTooLarge(bodyLimit);
      }
      const read = await readCapped(res.body, bodyLimit);
      if (read.truncated) throw new BodyTooLarge(bodyLimit);
      text = read.text;
    } catch (error) {
      if (signal.aborted) throw new Error(`the LLM did not answer within ${timeoutMs} ms`);
      throw error;
    }
    if (status < 200 || status >= 300) throw new Error(`the LLM answered HTTP ${status}${errorDetail(text)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`the LLM answered HTTP ${status} with a body that is not JSON`);
    }
  };
  return { postJson, gate: new Gate(connections), close: () => pool.close() };
}

/** The endpoint's own words about an error (OpenAI's `{"error":{"message":…}}`, or the text), short. */
function errorDetail(text: string): string {
  let detail = text;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const e = parsed.error;
    detail = String((typeof e === 'object' ? e?.message : e) ?? parsed.message ?? text);
  } catch {
    // not JSON: the text as it came
  }
  detail = detail.trim().slice(0, 200);
  return detail ? `: ${detail}` : '';
}
