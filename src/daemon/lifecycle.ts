/**
 * Releasers, in the spirit of graphile/worker's: each start-up step starts one service and registers its own stop;
 * release() runs the stops in reverse order. A failed start releases what had started; a stop that throws is
 * reported and does not keep the others from running; releasing twice runs every stop once.
 */
export type Release = () => unknown;

export class Releasers {
  private readonly stack: { name: string; release: Release | null }[] = [];
  private releasing: Promise<void> | null = null;

  /** `onError` hears of each stop that threw or rejected (by the step's name); the next stop runs regardless. */
  constructor(private readonly onError: (name: string, error: unknown) => void = () => undefined) {}

  /**
   * Runs `start`; once it has succeeded, registers `release` (given what start returned). A start that throws
   * registers nothing: what it had half-opened is its own to undo.
   */
  async step<T>(name: string, start: () => T | Promise<T>, release: (started: T) => unknown): Promise<T> {
    if (this.releasing) throw new Error(`cannot start ${name}: already released`);
    const started = await start();
    this.stack.push({ name, release: () => release(started) });
    return started;
  }

  /** Registers a stop for something already started. */
  add(name: string, release: Release): void {
    this.stack.push({ name, release });
  }

  /**
   * Keeps a place in the stop order for a service that can only be built later (the callbacks need the port the
   * HTTP API bound); returns the function that fills it. A place never filled is skipped.
   */
  reserve(name: string): (release: Release) => void {
    const entry: { name: string; release: Release | null } = { name, release: null };
    this.stack.push(entry);
    return (release) => {
      entry.release = release;
    };
  }

  /** Names of the registered stops, in the order release() runs them. */
  get order(): string[] {
    return this.stack.map((e) => e.name).reverse();
  }

  /** Runs every registered stop, last registered first, one at a time. A second call waits for the first. */
  release(): Promise<void> {
    this.releasing ??= (async () => {
      while (this.stack.length) {
        const { name, release } = this.stack.pop()!;
        if (!release) continue;
        try {
          await release();
        } catch (error) {
          try {
            this.onError(name, error);
          } catch {
            // a reporter that fails must not stop the release either
          }
        }
      }
    })();
    return this.releasing;
  }
}

/** A promise that settles after `ms` without keeping the process alive. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
