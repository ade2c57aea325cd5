/** Exponential backoff with jitter and a cap: the wait before retry number `n` (0-based). */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** 0.2 = ±20 %. */
  jitter: number;
}

export const ACTION_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 300_000, jitter: 0.2 };
export const DELIVERY_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 300_000, jitter: 0.2 };

export function backoffMs(policy: BackoffPolicy, n: number, random: () => number = Math.random): number {
  const raw = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n, 30));
  return Math.max(0, Math.round(raw * (1 + policy.jitter * (2 * random() - 1))));
}
