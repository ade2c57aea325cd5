/**
 * A loop on one timer: run a pass, which says how long to wait before the next; never two passes at once. poke()
 * runs the next pass now (new work arrived); stop() waits for the pass under way. The scheduler and the outbox
 * sender each run on one.
 */
export class TimerLoop {
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private current: Promise<void> | null = null;
  /** A poke arrived during a pass: run the next one at once. */
  private again = false;

  /** `pass` returns the delay (ms) before the next pass; it must not throw. */
  constructor(private readonly pass: () => Promise<number>) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current;
  }

  poke(): void {
    if (this.stopped) return;
    if (this.current) this.again = true;
    else this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.current = this.pass()
          .catch(() => 1000)
          .then((next) => {
            this.current = null;
            this.schedule(this.again ? 0 : next);
            this.again = false;
          });
      },
      Math.max(0, delayMs),
    );
  }
}
