/**
 * Retention: what only bookkeeping needs is forgotten, in small batches, so the database does not grow without
 * bound (DESIGN.md "Engine rules"):
 *   - the (acc_id, msg_id) de-duplication keys after 7 days: no bridge re-delivers an event that late;
 *   - delivered callbacks and orders, callbacks received by the sink, and the agent's chat log after
 *     AICS_RETENTION_DAYS (default 90; 0 keeps them forever).
 * Tasks and their histories are records, not bookkeeping: they are kept. Undelivered outbox items are never pruned.
 */
import type { Store } from '../store/index.js';
import type { Logger } from './ports.js';
import { TimerLoop } from './timer-loop.js';

const DAY_MS = 86_400_000;
const DEDUP_DAYS = 7;
const BATCH = 2000;

export interface RetentionOptions {
  store: Store;
  logger: Logger;
  clock: () => number;
  retentionDays: number;
  /** Between passes (default an hour); the first pass runs a minute after start. */
  everyMs?: number;
  firstAfterMs?: number;
}

export class Retention {
  private readonly loop = new TimerLoop(() => this.pass());
  private first = true;

  constructor(private readonly o: RetentionOptions) {}

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass; returns how many rows each kind lost. */
  async prune(): Promise<Record<string, number>> {
    const { store, clock, retentionDays } = this.o;
    const now = clock();
    const pruned: Record<string, number> = { inbound_keys: await drain((n) => store.inbound.prune(now - DEDUP_DAYS * DAY_MS, n)) };
    if (retentionDays > 0) {
      const before = now - retentionDays * DAY_MS;
      pruned.outbox_delivered = await drain((n) => store.outbox.prune(before, n));
      pruned.callbacks_received = await drain((n) => store.callbacks.prune(before, n));
      pruned.chat_messages = await drain((n) => store.agent.prune(before, n));
    }
    return pruned;
  }

  private async pass(): Promise<number> {
    if (this.first) {
      this.first = false;
      return this.o.firstAfterMs ?? 60_000;
    }
    try {
      const pruned = await this.prune();
      const total = Object.values(pruned).reduce((a, b) => a + b, 0);
      if (total) this.o.logger.info(pruned, `retention: forgot ${total} old bookkeeping rows`);
    } catch (error) {
      this.o.logger.error({ error: String(error) }, `retention: ${String(error)}`);
    }
    return this.o.everyMs ?? 3_600_000;
  }
}

/** Deletes in batches until a batch comes back short, letting other work run between batches. */
async function drain(batch: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await batch(BATCH);
    total += n;
    if (n < BATCH) return total;
    await new Promise((r) => setImmediate(r));
  }
}
