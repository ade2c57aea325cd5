/**
 * How the agent reaches the LLM endpoint: a connection pool of its own (AICS_LLM_CONNECTIONS) and a gate that lets
 * at most that many requests be under way at once.
 *
 * - The gate: a turn builds its request (messages, tool definitions, the JSON body, the openai client's timers and
 *   abort controllers) only once a connection is free. With 10,000 customers writing at once, the other turns wait
 *   as a queued callback each instead of 10,000 serialized bodies waiting in the pool; and AICS_LLM_TIMEOUT_MS
 *   bounds the LLM's own answer, not the wait for a connection, so a burst does not turn into a wave of timeouts
 *   (each one counting as an LLM failure, three of them a 转接人工).
 * - The request: undici's dispatcher on that pool (its documented handler interface) with a body built by the
 *   provider as bytes, the answer collected with a cap (LLM_BODY_LIMIT_BYTES) and parsed. The global fetch costs
 *   several times more CPU per request (web streams, a second undici inside Node), and so did the openai package's
 *   request building on top of it (headers, options, a Response per answer); request() still adds an async
 *   resource, a Readable and an AbortSignal per request. Under a burst, CPU per request is what the customers wait
 *   for, and what a request allocates while the LLM thinks outlives the young generation and grows the heap.
 */
import { Agent, type Dispatcher } from 'undici';
import { BodyTooLarge } from '../peers/capped-body.js';

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

/** Where requests go: the endpoint's origin and path, parsed once (not a URL per request). */
export interface LlmTarget {
  origin: string;
  path: string;
}

export function llmTarget(url: string): LlmTarget {
  const u = new URL(url);
  return { origin: u.origin, path: `${u.pathname}${u.search}` };
}

export interface LlmHttp {
  /** POSTs a prebuilt JSON body and resolves with the parsed answer; throws on a timeout, an HTTP error, bad JSON. */
  postJson(target: LlmTarget, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<unknown>;
  gate: Gate;
  close(): Promise<void>;
}

/** A pool of `connections` to the LLM endpoint; response bodies over `bodyLimit` bytes fail with BodyTooLarge. */
export function llmHttp(connections: number, bodyLimit: number): LlmHttp {
  const pool = new Agent({ connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const postJson = async (target: LlmTarget, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<unknown> => {
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const answer = new Answer(bodyLimit, timeoutMs, resolve, reject);
      pool.dispatch({ origin: target.origin, path: target.path, method: 'POST', headers, body }, answer);
    });
    if (status < 200 || status >= 300) throw new Error(`the LLM answered HTTP ${status}${errorDetail(text)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`the LLM answered HTTP ${status} with a body that is not JSON`);
    }
  };
  return { postJson, gate: new Gate(connections), close: () => pool.close() };
}

/**
 * One request's answer, taken straight from undici's dispatcher (its documented handler interface): the chunks are
 * collected as they come, capped at `limit` bytes, and the whole request is bounded by `timeoutMs` with one plain
 * timer, cleared when it settles. request() would add, per request, an async resource, a Readable for the body (and
 * our capped read an async iterator over it) and an AbortSignal whose timer outlives the request until the signal is
 * collected; in a burst all of that is garbage that outlives young-generation collections and grows the heap.
 */
class Answer implements Dispatcher.DispatchHandler {
  private status = 0;
  private chunks: Buffer[] = [];
  private bytes = 0;
  private controller: Dispatcher.DispatchController | null = null;
  private failure: Error | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly limit: number,
    timeoutMs: number,
    private readonly resolve: (a: { status: number; text: string }) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.timer = setTimeout(() => this.fail(new Error(`the LLM did not answer within ${timeoutMs} ms`)), timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Failed (timed out) while still waiting for a connection: it goes no further.
    if (this.failure) controller.abort(this.failure);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[]>): void {
    if (statusCode < 200) return; // 1xx: the real answer follows
    this.status = statusCode;
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > this.limit) this.fail(new BodyTooLarge(this.limit));
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.failure) return;
    this.bytes += chunk.length;
    if (this.bytes > this.limit) this.fail(new BodyTooLarge(this.limit));
    else this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.failure) return;
    clearTimeout(this.timer);
    const chunks = this.chunks;
    this.chunks = [];
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, this.bytes).toString('utf8');
    this.resolve({ status: this.status, text });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    // After our own abort (a timeout, a body too large) undici reports that abort: the first reason stands.
    this.fail(error);
  }

  private fail(error: Error) {
    if (this.failure) return;
    this.failure = error;
    clearTimeout(this.timer);
    this.chunks = [];
    this.reject(error);
    // Aborting the request closes its connection (undici opens another for the next request).
    this.controller?.abort(error);
  }
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
