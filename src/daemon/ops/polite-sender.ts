/**
 * The polite sender: WeCom throttles or bans an account that sends too fast, so every send to a customer (a task's
 * action, an agent answer) waits for its turn on its account and on its customer:
 *   - at most `perAccount` sends a minute on one WeCom account (AICS_SEND_RATE), evenly spaced: no bursts;
 *   - at most `perCustomer` sends a minute to one customer (AICS_SEND_RATE_CUSTOMER), with a burst of a few so that
 *     an answer in parts is not spread over a minute;
 *   - 0 turns a limit off.
 * Sends waiting on one account go in priority order (urgent, high, normal, low), then by due time, then first come first
 * served; a send whose customer has used up its turns lets the next customer's send go first.
 *
 * An ack that says the account is rate limited slows that account down (its spacing doubles, up to 16 times, and
 * relaxes again after a quiet minute) and the same send is queued again with the same req_id: nothing was sent, so
 * nothing is doubled and no retry of the task is spent. Sends still waiting when the daemon stops are given back as
 * "not sent" (the task goes back to waiting, an agent answer stays stored).
 */
import { PRIORITY_RANK } from '../../tasks/index.js';
import type { Logger, MessageSender, SendMeta, SendResult } from '../ports.js';
import { errorText } from '../ports.js';

export interface SendRates {
  /** Sends a minute on one WeCom account; 0 = no limit. */
  perAccount: number;
  /** Sends a minute to one customer; 0 = no limit. */
  perCustomer: number;
}

export interface PoliteSenderOptions {
  rates: SendRates;
  logger: Logger;
  clock?: () => number;
}

/** The send was given back at shutdown before its turn came: not an attempt (see ports.isNotSent). */
export class SendTurnCancelledError extends Error {
  readonly notSent = true;
  constructor() {
    super('the daemon is stopping: the send waited for its turn (AICS_SEND_RATE) and goes out at the next start');
  }
}

/** 轻简's codes are not public: an ack is taken as "rate limited" by HTTP's 429 or by what its message says. */
export function isRateLimited(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  if ((error as { bridgeCode?: unknown }).bridgeCode === 429) return true;
  return /频繁|限流|限制发送|rate.?limit|too many/i.test(errorText(error));
}

/** Sends to one customer that may go back to back before AICS_SEND_RATE_CUSTOMER's spacing applies. */
const CUSTOMER_BURST = 3;
/** Spacing on an account that says it is rate limited while AICS_SEND_RATE is 0 (no limit of our own). */
const RATE_LIMITED_GAP_MS = 2000;
const MAX_SLOWDOWN = 16;
/** How late a turn may be and still be counted from its ideal time (see pump). */
const CATCH_UP_MS = 250;
const CALM_AFTER_MS = 60_000;
/** Rate-limited acks for one send before it is handed back to its caller as a failed (retryable) attempt. */
const MAX_RATE_LIMITED_REPEATS = 5;

interface Waiting {
  rank: number;
  dueAtMs: number;
  seq: number;
  customer: string;
  go: () => void;
  cancel: (error: Error) => void;
}

/** The turns of one WeCom account. */
interface Lane {
  account: string;
  /** Sorted: rank, due time, arrival. */
  queue: Waiting[];
  /** When the account's next send may go. */
  nextAtMs: number;
  timer: NodeJS.Timeout | null;
  slowdown: number;
  calmAtMs: number;
}

export class PoliteSender {
  private readonly lanes = new Map<string, Lane>();
  /** Per customer ("acc:to"): a token bucket as [tokens, at ms]. */
  private readonly customers = new Map<string, { tokens: number; atMs: number }>();
  private readonly clock: () => number;
  private seq = 0;
  private closed = false;

  constructor(private readonly o: PoliteSenderOptions) {
    this.clock = o.clock ?? Date.now;
  }

  get rates(): SendRates {
    return this.o.rates;
  }

  /** The sender with every send taking its turn; keeps the wrapped sender's other members (accounts, state). */
  wrap(sender: MessageSender): MessageSender {
    return {
      ...sender,
      sendText: (command, reqId, meta) => this.send(command.acc_id, command.to_id, meta, () => sender.sendText(command, reqId, meta)),
      sendFile: (command, reqId, meta) => this.send(command.acc_id, command.to_id, meta, () => sender.sendFile(command, reqId, meta)),
    };
  }

  /** Gives back every send still waiting for its turn (they were not sent) and refuses new ones the same way. */
  close(): void {
    this.closed = true;
    for (const lane of this.lanes.values()) {
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = null;
      for (const w of lane.queue.splice(0)) w.cancel(new SendTurnCancelledError());
    }
  }

  /** How many sends wait for their turn, by account (for health and metrics). */
  waiting(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const lane of this.lanes.values()) if (lane.queue.length) out[lane.account] = lane.queue.length;
    return out;
  }

  private async send(
    accId: string | null | undefined,
    toId: string,
    meta: SendMeta | undefined,
    go: () => Promise<SendResult>,
  ): Promise<SendResult> {
    const account = accId ?? '';
    for (let limited = 0; ;) {
      await this.turn(account, `${account}:${toId}`, meta);
      try {
        return await go();
      } catch (error) {
        if (!isRateLimited(error) || ++limited >= MAX_RATE_LIMITED_REPEATS) throw error;
        this.slowDown(account, errorText(error));
      }
    }
  }

  /** Resolves when this send may go. */
  private turn(account: string, customer: string, meta: SendMeta | undefined): Promise<void> {
    if (this.closed) return Promise.reject(new SendTurnCancelledError());
    const lane = this.lane(account);
    if (!this.limited(lane) && lane.queue.length === 0) return Promise.resolve();
    return new Promise<void>((go, cancel) => {
      const w: Waiting = {
        // Higher priority first: the rank is negated so that the queue sorts ascending.
        rank: -(PRIORITY_RANK[meta?.priority ?? 'normal'] ?? 1),
        dueAtMs: meta?.dueAtMs ?? this.clock(),
        seq: ++this.seq,
        customer,
        go,
        cancel,
      };
      insertSorted(lane.queue, w);
      this.pump(lane);
    });
  }

  /** Whether sends on this lane are paced at all (a limit is set, or the account said it is rate limited). */
  private limited(lane: Lane): boolean {
    return this.o.rates.perAccount > 0 || this.o.rates.perCustomer > 0 || lane.slowdown > 1;
  }

  private lane(account: string): Lane {
    let lane = this.lanes.get(account);
    if (!lane) {
      lane = { account, queue: [], nextAtMs: 0, timer: null, slowdown: 1, calmAtMs: 0 };
      this.lanes.set(account, lane);
    }
    return lane;
  }

  /** Lets go every send whose turn has come, then sleeps until the next one's. */
  private pump(lane: Lane): void {
    if (this.closed) return;
    // A send that just arrived may go before the one the timer waits for (another customer, a higher priority).
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = null;
    for (;;) {
      const now = this.clock();
      this.relax(lane, now);
      if (!lane.queue.length) {
        // An idle account at its normal pace is forgotten once its last send's spacing has passed.
        if (lane.slowdown === 1 && now >= lane.nextAtMs) this.lanes.delete(lane.account);
        return;
      }
      if (now < lane.nextAtMs) return this.sleep(lane, lane.nextAtMs - now);
      const i = lane.queue.findIndex((w) => this.customerReadyInMs(w.customer, now) === 0);
      if (i < 0) {
        const soonest = Math.min(...lane.queue.map((w) => this.customerReadyInMs(w.customer, now)));
        return this.sleep(lane, soonest);
      }
      const [w] = lane.queue.splice(i, 1);
      this.takeCustomerToken(w!.customer, now);
      const gap = this.accountGapMs(lane);
      // From the ideal slot while a little late (a busy event loop fires timers late), so that lateness does not
      // lower the rate; after a longer stall, from now, so that the account never sees a burst to catch up.
      lane.nextAtMs = gap === 0 ? 0 : (lane.nextAtMs > now - Math.max(gap, CATCH_UP_MS) ? lane.nextAtMs : now) + gap;
      w!.go();
    }
  }

  private sleep(lane: Lane, ms: number): void {
    lane.timer = setTimeout(
      () => {
        lane.timer = null;
        this.pump(lane);
      },
      Math.max(1, Math.ceil(ms)),
    );
  }

  private accountGapMs(lane: Lane): number {
    const base = this.o.rates.perAccount > 0 ? 60_000 / this.o.rates.perAccount : lane.slowdown > 1 ? RATE_LIMITED_GAP_MS : 0;
    return base * lane.slowdown;
  }

  private customerReadyInMs(customer: string, now: number): number {
    const per = this.o.rates.perCustomer;
    if (per <= 0) return 0;
    const tokens = this.customerTokens(customer, now);
    return tokens >= 1 ? 0 : ((1 - tokens) * 60_000) / per;
  }

  private customerTokens(customer: string, now: number): number {
    const burst = CUSTOMER_BURST;
    const b = this.customers.get(customer);
    if (!b) return burst;
    return Math.min(burst, b.tokens + ((now - b.atMs) * this.o.rates.perCustomer) / 60_000);
  }

  private takeCustomerToken(customer: string, now: number): void {
    if (this.o.rates.perCustomer <= 0) return;
    const tokens = this.customerTokens(customer, now) - 1;
    this.customers.set(customer, { tokens, atMs: now });
    // Forget customers whose bucket is full again, so the map holds only the recently served.
    if (this.customers.size > 10_000) {
      for (const [key] of this.customers) {
        if (this.customerTokens(key, now) >= CUSTOMER_BURST) this.customers.delete(key);
      }
    }
  }

  private slowDown(account: string, why: string): void {
    const lane = this.lane(account);
    const now = this.clock();
    lane.slowdown = Math.min(MAX_SLOWDOWN, lane.slowdown * 2);
    lane.calmAtMs = now + CALM_AFTER_MS;
    lane.nextAtMs = Math.max(lane.nextAtMs, now + this.accountGapMs(lane));
    this.o.logger.warn(
      { acc_id: account, slowdown: lane.slowdown, gap_ms: Math.round(this.accountGapMs(lane)), error: why },
      `轻简 says account ${account} is rate limited: its sends slow down ${lane.slowdown}× (the send is queued again, same req_id)`,
    );
  }

  /** After a quiet minute without a rate-limited ack, the account's spacing halves back toward normal. */
  private relax(lane: Lane, now: number): void {
    while (lane.slowdown > 1 && now >= lane.calmAtMs) {
      lane.slowdown /= 2;
      lane.calmAtMs += CALM_AFTER_MS;
      if (lane.slowdown === 1) this.o.logger.info({ acc_id: lane.account }, `account ${lane.account}: sends back to the normal rate`);
    }
  }
}

function insertSorted(queue: Waiting[], w: Waiting): void {
  const before = (a: Waiting, b: Waiting) => a.rank - b.rank || a.dueAtMs - b.dueAtMs || a.seq - b.seq;
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(queue[mid]!, w) <= 0) lo = mid + 1;
    else hi = mid;
  }
  queue.splice(lo, 0, w);
}
