/**
 * systemd's notify protocol (sd_notify), for `Type=notify` with `WatchdogSec=` (deploy/aics.service): READY=1 once
 * the store is open and the port bound, STOPPING=1 when the drain begins, WATCHDOG=1 from the event loop at a third
 * of the watchdog interval, so a wedged daemon (a loop that never yields) stops pinging and systemd restarts it.
 *
 * Node cannot send on a Unix datagram socket (NOTIFY_SOCKET's kind), so each message goes through systemd's own
 * `systemd-notify` (in the `systemd` package wherever systemd runs), which waits until systemd has read it
 * (BARRIER) before it exits; the unit says NotifyAccess=all so that messages from that helper count. Without
 * NOTIFY_SOCKET (not under systemd) every call is a no-op.
 */
import { execFile } from 'node:child_process';
import type { Logger } from '../ports.js';

export interface NotifierOptions {
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /** The helper; tests and unusual installs may name another path (AICS_SYSTEMD_NOTIFY). */
  command?: string;
  pid?: number;
}

export class SystemdNotifier {
  private readonly socket: string | null;
  private readonly command: string;
  private readonly watchdogMs: number | null;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private failed = false;

  constructor(private readonly o: NotifierOptions) {
    const env = o.env ?? process.env;
    this.socket = env.NOTIFY_SOCKET || null;
    this.command = o.command ?? env.AICS_SYSTEMD_NOTIFY ?? 'systemd-notify';
    const usec = Number(env.WATCHDOG_USEC);
    // WATCHDOG_PID names the process the watchdog is meant for (a child we spawned may inherit the variables).
    const forUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === (o.pid ?? process.pid);
    this.watchdogMs = this.socket && forUs && Number.isFinite(usec) && usec > 0 ? usec / 1000 : null;
  }

  get enabled(): boolean {
    return this.socket !== null;
  }

  ready(status: string): Promise<void> {
    const sent = this.send(['READY=1', `STATUS=${status}`]);
    this.startWatchdog();
    return sent;
  }

  stopping(status: string): Promise<void> {
    this.stopWatchdog();
    return this.send(['STOPPING=1', `STATUS=${status}`]);
  }

  /** Stops pinging and waits (bounded) for messages under way, so STOPPING=1 is read before the process exits. */
  async close(): Promise<void> {
    this.stopWatchdog();
    await Promise.race([this.queue, new Promise((r) => setTimeout(r, 3000).unref())]);
  }

  private startWatchdog(): void {
    if (this.watchdogMs === null || this.timer) return;
    const every = Math.max(50, Math.floor(this.watchdogMs / 3));
    // A plain interval on the event loop: if the loop is stuck, no ping goes out, which is the point.
    this.timer = setInterval(() => void this.send(['WATCHDOG=1']), every);
    this.timer.unref();
    void this.send(['WATCHDOG=1']);
    this.o.logger.info({ watchdog_ms: this.watchdogMs, ping_ms: every }, `systemd watchdog: pinging every ${every} ms`);
  }

  private stopWatchdog(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Messages go out one after another, in order (READY before the first ping, STOPPING last). */
  private send(assignments: string[]): Promise<void> {
    if (!this.socket || this.failed) return Promise.resolve();
    const next = this.queue.then(
      () =>
        new Promise<void>((done) => {
          execFile(this.command, assignments, { env: { ...process.env, NOTIFY_SOCKET: this.socket! }, timeout: 10_000 }, (error) => {
            if (error && !this.failed) {
              const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
              if (missing) this.failed = true; // say it once, and stop trying
              this.o.logger.warn(
                { notify_socket: this.socket, error: error.message },
                missing
                  ? `systemd notify: ${this.command} not found (install the systemd package, or set AICS_SYSTEMD_NOTIFY); systemd will not see READY=1`
                  : `systemd notify: ${assignments[0]} not sent: ${error.message}`,
              );
            }
            done();
          });
        }),
    );
    this.queue = next;
    return next;
  }
}
