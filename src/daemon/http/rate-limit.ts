/**
 * A token bucket: `capacity` units at most, refilled at `perSecond`. The open callback sink spends one unit per
 * stored byte, so a flood of posts stores a bounded amount (issue #17 point 8).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.tokens = capacity;
    this.last = clock();
  }

  /** Takes `cost` units if there are that many; otherwise takes nothing and says how long until there will be (ms). */
  take(cost: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = this.clock();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (cost <= this.tokens) {
      this.tokens -= cost;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((Math.min(cost, this.capacity) - this.tokens) / this.perSecond) * 1000) };
  }
}
