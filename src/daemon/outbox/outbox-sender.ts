/**
 * Delivers the outbox — callbacks to Tianwang, 派单 orders and handoff notices — by POSTing each item with undici
 * until the receiver answers 2xx, backing off exponentially between tries. Items survive restarts because they live
 * in the database; a receiver must treat `event_id` as an idempotency key, since a crash between its 2xx and our
 * bookkeeping sends the item once more.
 *
 * Slow or hostile receivers (issue #17): every delivery has one total deadline (headers and body together), what is
 * read of an answer is capped, each receiver (URL) has at most a few deliveries in flight so a stalled one never
 * holds up the others, and stop() aborts what is still in flight: the item stays queued for the next start.
 *
 * Several daemons on one database (issue #13): each item is claimed before it is POSTed, for the delivery's deadline
 * and a margin, so two daemons never deliver one item at once; a daemon that dies holding claims leaves them to the
 * others once its lease ran out.
 */
import { createHmac } from 'node:crypto';
import { request } from 'undici';
import type { OutboxItem, OutboxKind, Store } from '../../store/index.js';
import { errorText, type Logger } from '../ports.js';
import { DELIVERY_BACKOFF, backoffMs, type BackoffPolicy } from '../engine/backoff.js';
import { TimerLoop } from '../timer-loop.js';
import { readCapped } from '../peers/capped-body.js';
import { daemonOwner } from '../owner.js';
import { headerValue } from './header-value.js';

/** Deliveries in flight to one receiver at a time. */
export const PER_RECEIVER_IN_FLIGHT = 8;
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
/** How long a claim outlives its delivery's deadline: the outcome is recorded within it, so no one else takes the item meanwhile. */
export const CLAIM_MARGIN_MS = 5_000;

export interface OutboxSenderOptions {
  store: Store;
  logger: Logger;
  clock: () => number;
  /** Who claims the items; this process (`daemon:HOST:PID`) by default. */
  owner?: string;
  /** Where each kind goes; a kind without a URL stays queued (and is shown as backlog). */
  urls: Partial<Record<OutboxKind, string | null>>;
  /** When set, each POST carries X-Aics-Signature: sha256=HMAC(body). */
  secret?: string | null;
  /** Extra headers per kind: the daemon's own bearer token when a kind goes to the daemon's own sink. */
  headers?: Partial<Record<OutboxKind, Record<string, string>>>;
  /** The total deadline of one delivery: connect, headers and body (ms). */
  timeoutMs?: number;
  pollMs?: number;
  backoff?: BackoffPolicy;
}

interface Receiver {
  url: string;
  kinds: OutboxKind[];
  inFlight: Map<number, AbortController>;
}

export class OutboxSender {
  private readonly loop = new TimerLoop(() => this.deliverDue());
  private readonly pollMs: number;
  private readonly receivers: Receiver[];
  private readonly running = new Set<Promise<void>>();
  private readonly timeoutMs: number;
  private readonly owner: string;

  constructor(private readonly o: OutboxSenderOptions) {
    this.pollMs = o.pollMs ?? 1000;
    this.timeoutMs = o.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
    this.owner = o.owner ?? daemonOwner();
    // Kinds sharing a URL share its receiver's slots; kinds without a URL stay queued until one is configured.
    const byUrl = new Map<string, Receiver>();
    for (const kind of Object.keys(o.urls) as OutboxKind[]) {
      const url = o.urls[kind];
      if (!url) continue;
      if (!byUrl.has(url)) byUrl.set(url, { url, kinds: [], inFlight: new Map() });
      byUrl.get(url)!.kinds.push(kind);
    }
    this.receivers = [...byUrl.values()];
  }

  start(): void {
    this.loop.start();
  }

  /** Stops polling and aborts the deliveries in flight (they stay queued); resolves once they have settled. */
  async stop(): Promise<void> {
    await this.loop.stop();
    for (const r of this.receivers) for (const c of r.inFlight.values()) c.abort(new Error('the daemon is stopping'));
    await Promise.all([...this.running]);
  }

  poke(): void {
    this.loop.poke();
  }

  /** Resolves once the deliveries started so far have settled (delivered or deferred). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /**
   * One pass: starts what is due, up to each receiver's free slots, without waiting for the deliveries (see idle());
   * returns when the next pass should run.
   */
  async deliverDue(): Promise<number> {
    try {
      let next = this.pollMs;
      for (const r of this.receivers) {
        const inFlight = [...r.inFlight.keys()];
        const free = PER_RECEIVER_IN_FLIGHT - inFlight.length;
        // A full receiver is poked again when one of its deliveries settles.
        if (free <= 0) continue;
        const items = await this.o.store.outbox.claim(free, r.kinds, this.owner, this.timeoutMs + CLAIM_MARGIN_MS);
        for (const item of items) this.launch(r, item);
        if (items.length === free) continue;
        const at = await this.o.store.outbox.nextAttemptAt(r.kinds, [...r.inFlight.keys()]);
        if (at !== null) next = Math.min(next, Math.max(0, at - this.o.clock()));
      }
      return next;
    } catch (error) {
      this.o.logger.error({ error: errorText(error) }, `outbox: ${errorText(error)}`);
      return this.pollMs;
    }
  }

  private launch(r: Receiver, item: OutboxItem): void {
    const controller = new AbortController();
    r.inFlight.set(item.id, controller);
    const done = this.deliver(r.url, item, controller.signal).finally(() => {
      r.inFlight.delete(item.id);
      this.running.delete(done);
      this.loop.poke();
    });
    this.running.add(done);
  }

  private async deliver(url: string, item: OutboxItem, stopSignal: AbortSignal): Promise<void> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-aics-event-id': headerValue(item.event_id),
      'x-aics-kind': item.kind,
      ...this.o.headers?.[item.kind],
    };
    if (this.o.secret) headers['x-aics-signature'] = `sha256=${createHmac('sha256', this.o.secret).update(item.payload).digest('hex')}`;
    const log = { event_id: item.event_id, task_id: item.task_id, kind: item.kind, attempt: item.attempts + 1 };
    const timeout = this.timeoutMs;
    // One deadline for the whole exchange: undici's own timeouts restart with every byte, so a receiver sending one
    // byte every few seconds would hold a delivery for ever.
    const deadline = AbortSignal.timeout(timeout);
    const signal = AbortSignal.any([deadline, stopSignal]);
    try {
      const res = await request(url, { method: 'POST', body: item.payload, headers, signal });
      const { text } = await readCapped(res.body, 4096);
      if (res.statusCode >= 200 && res.statusCode < 300) {
        await this.o.store.outbox.delivered(item.id);
        this.o.logger.info({ ...log, status: res.statusCode }, `${item.kind} delivered ${item.event_id}`);
        return;
      }
      await this.retryLater(item, `HTTP ${res.statusCode}: ${text.slice(0, 200)}`, log);
    } catch (error) {
      const why = stopSignal.aborted
        ? 'aborted: the daemon is stopping'
        : deadline.aborted
          ? `no complete answer within ${timeout} ms`
          : errorText(error);
      await this.retryLater(item, why, log).catch(() => undefined);
    }
  }

  private async retryLater(item: OutboxItem, error: string, log: object) {
    const at = this.o.clock() + backoffMs(this.o.backoff ?? DELIVERY_BACKOFF, item.attempts);
    await this.o.store.outbox.deferred(item.id, error, at);
    this.o.logger.warn({ ...log, error, retry_at: new Date(at).toISOString() }, `${item.kind} delivery failed (${error}); will retry`);
  }
}
