/**
 * Waits of the simulator's callers ("until a client connects", "until event e-3 is acked"): each is a condition
 * checked again whenever the simulator's state changes, never a poll on the clock. A timeout only bounds a hang.
 */
interface Waiter {
  check: () => boolean;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
}

function withTimeout(timeoutMs: number): boolean {
  return Number.isFinite(timeoutMs) && timeoutMs > 0;
}

export class SimWaiters {
  private readonly waiters = new Set<Waiter>();
  private stopped = false;

  /** Resolves once `check()` holds (at once if it does); `timeoutMs` 0 waits forever. */
  waitFor(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    if (check()) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`simulator stopped while waiting for ${what()}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          if (!check()) return false;
          if (waiter.timer) clearTimeout(waiter.timer);
          resolve();
          return true;
        },
        reject: (err) => {
          if (waiter.timer) clearTimeout(waiter.timer);
          reject(err);
        },
        timer: null,
      };
      if (withTimeout(timeoutMs)) {
        waiter.timer = setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
        }, timeoutMs);
      }
      this.waiters.add(waiter);
    });
  }

  /** The state changed: the waits whose condition now holds resolve. */
  changed(): void {
    for (const w of [...this.waiters]) if (w.check()) this.waiters.delete(w);
  }

  /** Every pending wait rejects; later waits reject at once. */
  stop(): void {
    this.stopped = true;
    for (const w of this.waiters) w.reject(new Error('simulator stopped'));
    this.waiters.clear();
  }
}
