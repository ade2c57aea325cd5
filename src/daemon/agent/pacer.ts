/**
 * Outbound pacing: at least `gapMs` between two sends on one WeCom account, whatever the number of conversations,
 * so a burst of replies does not look like a bot to WeCom. Each caller reserves the next free slot of its account.
 */
export class Pacer {
  private readonly next = new Map<string, number>();

  constructor(
    private readonly gapMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Resolves when this account may send; the slot after it is reserved for the next caller. An aborted `signal`
   * ends the wait at once (shutdown: no timer is left keeping the process alive).
   */
  async slot(account: string, signal?: AbortSignal): Promise<void> {
    if (this.gapMs <= 0 || signal?.aborted) return;
    const now = this.now();
    const at = Math.max(now, this.next.get(account) ?? 0);
    this.next.set(account, at + this.gapMs);
    if (at > now) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, at - now);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    // forget idle accounts so the map does not grow
    if (this.next.get(account)! <= this.now()) this.next.delete(account);
  }
}
