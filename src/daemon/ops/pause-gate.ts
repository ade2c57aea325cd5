/**
 * The pause (`aics pause` / `aics resume`), as one daemon sees it. The switch lives in the database, so the CLI sets
 * it without the daemon's help and every daemon on the file obeys; this gate reads it every `pollMs`.
 *
 * While paused: the scheduler fires nothing (time, cron and retries wait), and every send to a customer (a task's
 * action, an agent reply) is held before it leaves, to go out after the resume. Messages are still received,
 * recorded and matched, tasks are still received and expire as usual, callbacks are still delivered.
 */
import type { PauseState, Store } from '../../store/index.js';
import type { Logger, MessageSender } from '../ports.js';
import { TimerLoop } from '../timer-loop.js';

/**
 * A held send given back at shutdown. It never left, so it is not an attempt: the task goes back to waiting with its
 * req_id, and a stored agent answer stays stored, for whoever runs next after the resume.
 */
export class PausedError extends Error {
  readonly notSent = true;
  constructor() {
    super('the desk is paused (aics pause): the send was held and goes out after "aics resume"');
  }
}

export class PauseGate {
  private state: PauseState | null = null;
  private readonly waiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  private readonly loop = new TimerLoop(() => this.poll());
  private closed = false;

  constructor(private readonly o: { store: Store; logger: Logger; pollMs?: number }) {}

  /** Reads the switch once before anything starts, so a daemon started while paused never fires. */
  async start(): Promise<void> {
    await this.poll();
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.loop.stop();
    for (const w of this.waiters) w.reject(new PausedError());
    this.waiters.clear();
  }

  get paused(): PauseState | null {
    return this.state;
  }

  /** Resolves at once when not paused, else when the pause is lifted. */
  open(): Promise<void> {
    if (!this.state) return Promise.resolve();
    if (this.closed) return Promise.reject(new PausedError());
    return new Promise((resolve, reject) => this.waiters.add({ resolve, reject }));
  }

  /** The sender with every send held while paused. */
  wrap(sender: MessageSender): MessageSender {
    return {
      ...sender,
      sendText: async (c, r) => {
        await this.open();
        return sender.sendText(c, r);
      },
      sendFile: async (c, r) => {
        await this.open();
        return sender.sendFile(c, r);
      },
    };
  }

  private async poll(): Promise<number> {
    const pollMs = this.o.pollMs ?? 1000;
    let now: PauseState | null;
    try {
      now = await this.o.store.control.paused();
    } catch (error) {
      this.o.logger.error({ error: String(error) }, `pause: cannot read the switch: ${String(error)}`);
      return pollMs;
    }
    if (now && !this.state) {
      this.o.logger.warn(
        { paused_since: now.since, paused_by: now.by, reason: now.reason ?? undefined },
        `paused${now.reason ? `: ${now.reason}` : ''}: nothing fires or is sent until "aics resume"`,
      );
    } else if (!now && this.state) {
      this.o.logger.info({ held: this.waiters.size }, `resumed: firing and sending again (${this.waiters.size} held send(s) go out now)`);
    }
    this.state = now;
    if (!now) {
      for (const w of this.waiters) w.resolve();
      this.waiters.clear();
    }
    return pollMs;
  }
}
