/**
 * Repeated log lines of one kind, rate-limited: the first line of a kind in each window is written, the rest are
 * counted, and when the window ends one line says how many were left out. A misbehaving bridge that floods malformed
 * frames or unknown acks then costs a few lines a window instead of one line per frame.
 */
import type { Logger } from '../ports.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

interface Window {
  level: Level;
  obj: object;
  msg: string;
  suppressed: number;
  timer: NodeJS.Timeout;
}

export class LogThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly logger: Logger,
    private readonly windowMs = 10_000,
    /** Kinds tracked at once; a new kind beyond it closes the oldest window first. */
    private readonly maxKinds = 200,
  ) {}

  log(level: Level, kind: string, obj: object, msg: string): void {
    const open = this.windows.get(kind);
    if (open) {
      open.suppressed++;
      open.obj = obj;
      open.msg = msg;
      return;
    }
    this.logger[level](obj, msg);
    if (this.windows.size >= this.maxKinds) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.close(oldest);
    }
    const timer = setTimeout(() => this.close(kind), this.windowMs);
    timer.unref?.();
    this.windows.set(kind, { level, obj, msg, suppressed: 0, timer });
  }

  /** Writes the counts of the open windows now (shutdown). */
  flush(): void {
    for (const kind of [...this.windows.keys()]) this.close(kind);
  }

  private close(kind: string): void {
    const w = this.windows.get(kind);
    if (!w) return;
    this.windows.delete(kind);
    clearTimeout(w.timer);
    if (!w.suppressed) return;
    const seconds = Math.round(this.windowMs / 100) / 10;
    this.logger[w.level](
      { ...w.obj, repeated: w.suppressed, window_ms: this.windowMs },
      `${w.msg} (and ${w.suppressed} more like it in ${seconds} s)`,
    );
  }
}
