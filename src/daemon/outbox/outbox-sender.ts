/**
 * Delivers the outbox — callbacks to Tianwang (and, later, 派单 orders and handoff notices) — by POSTing each item
 * with undici until the receiver answers 2xx, backing off exponentially between tries. Items survive restarts
 * because they live in the database; a receiver must treat `event_id` as an idempotency key, since a crash between
 * its 2xx and our bookkeeping sends the item once more.
 */
import { createHmac } from 'node:crypto';
import { request } from 'undici';
import type { OutboxItem, OutboxKind, Store } from '../../store/index.js';
import { errorText, type Logger } from '../ports.js';
import { DELIVERY_BACKOFF, backoffMs, type BackoffPolicy } from '../engine/backoff.js';
import { TimerLoop } from '../timer-loop.js';

const BATCH = 50;

export interface OutboxSenderOptions {
  store: Store;
  logger: Logger;
  clock: () => number;
  /** Where each kind goes; a kind without a URL stays queued (and is shown as backlog). */
  urls: Partial<Record<OutboxKind, string | null>>;
  /** When set, each POST carries X-Aics-Signature: sha256=HMAC(body). */
  secret?: string | null;
  /** Extra headers per kind: the daemon's own bearer token when a kind goes to the daemon's own sink. */
  headers?: Partial<Record<OutboxKind, Record<string, string>>>;
  timeoutMs?: number;
  pollMs?: number;
  backoff?: BackoffPolicy;
}

export class OutboxSender {
  private readonly loop = new TimerLoop(() => this.deliverDue());
  private readonly pollMs: number;
  /** Kinds with somewhere to go; the others stay queued (and show as backlog) until a URL is configured. */
  private readonly kinds: OutboxKind[];

  constructor(private readonly o: OutboxSenderOptions) {
    this.pollMs = o.pollMs ?? 1000;
    this.kinds = (Object.keys(o.urls) as OutboxKind[]).filter((k) => o.urls[k]);
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  poke(): void {
    this.loop.poke();
  }

  /** One pass over what is due; returns when the next pass should run. */
  async deliverDue(): Promise<number> {
    try {
      const items = await this.o.store.outbox.due(BATCH, this.kinds);
      await Promise.all(items.map((item) => this.deliver(item)));
      if (items.length === BATCH) return 0;
      const at = await this.o.store.outbox.nextAttemptAt(this.kinds);
      return at === null ? this.pollMs : Math.min(this.pollMs, Math.max(0, at - this.o.clock()));
    } catch (error) {
      this.o.logger.error({ error: errorText(error) }, `outbox: ${errorText(error)}`);
      return this.pollMs;
    }
  }

  private async deliver(item: OutboxItem): Promise<void> {
    const url = this.o.urls[item.kind]!;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-aics-event-id': item.event_id,
      'x-aics-kind': item.kind,
      ...this.o.headers?.[item.kind],
    };
    if (this.o.secret) headers['x-aics-signature'] = `sha256=${createHmac('sha256', this.o.secret).update(item.payload).digest('hex')}`;
    const log = { event_id: item.event_id, task_id: item.task_id, kind: item.kind, attempt: item.attempts + 1 };
    try {
      const timeout = this.o.timeoutMs ?? 10_000;
      const res = await request(url, { method: 'POST', body: item.payload, headers, headersTimeout: timeout, bodyTimeout: timeout });
      const text = await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        await this.o.store.outbox.delivered(item.id);
        this.o.logger.info({ ...log, status: res.statusCode }, `${item.kind} delivered ${item.event_id}`);
        return;
      }
      await this.retryLater(item, `HTTP ${res.statusCode}: ${text.slice(0, 200)}`, log);
    } catch (error) {
      await this.retryLater(item, errorText(error), log);
    }
  }

  private async retryLater(item: OutboxItem, error: string, log: object) {
    const at = this.o.clock() + backoffMs(this.o.backoff ?? DELIVERY_BACKOFF, item.attempts);
    await this.o.store.outbox.deferred(item.id, error, at);
    this.o.logger.warn({ ...log, error, retry_at: new Date(at).toISOString() }, `${item.kind} delivery failed (${error}); will retry`);
  }
}
