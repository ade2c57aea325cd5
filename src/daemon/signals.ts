/**
 * Process signals for `aics serve` (kept out of the Daemon so tests can run several daemons in one process):
 * SIGTERM/SIGINT drain and stop (a second one forces the exit), SIGUSR2 reopens the log file (logrotate), SIGHUP
 * (`aics reload`, `systemctl reload`) replaces the --multi worker processes one at a time and reopens the log, an
 * uncaught error is logged at FATAL before the process exits 1.
 */
import type { Daemon } from './daemon.js';

/** Exit codes of a forced exit: 128 + the signal's number, as a shell reports a killed process. */
const FORCED_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Resolves with the signal's name once the daemon has stopped after SIGTERM or SIGINT. Call it before the daemon
 * starts, with the start's promise: until a handler is installed a SIGTERM kills the process outright (no drain, the
 * pid file left behind), and a supervisor may send one as soon as it sees "listening on". A signal that arrives
 * while the daemon starts stops it once the start has settled.
 */
export function runUntilSignalled(daemon: Daemon, started: Promise<unknown> = Promise.resolve()): Promise<NodeJS.Signals> {
  return new Promise((resolve, reject) => {
    let stopping: NodeJS.Signals | null = null;
    const onStop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logIfOpen(daemon, (logger) => logger.warn({ signal }, `${signal} again: exiting now, without waiting for requests in flight`));
        daemon.flushLogs();
        daemon.releasePidFile();
        process.exit(FORCED_EXIT[signal] ?? 1);
      }
      stopping = signal;
      process.off('SIGUSR2', onReopen);
      process.off('SIGHUP', onReload);
      started
        .then(
          () => daemon.stop(signal),
          () => undefined, // a failed start has released what it opened, and says why itself
        )
        .then(() => resolve(signal), reject);
    };
    const onReopen = () => daemon.reopenLogs();
    // One reload at a time: a SIGHUP during one is folded into it.
    let reloading: Promise<void> | null = null;
    const onReload = () => {
      reloading ??= daemon
        .reload()
        .catch((error: unknown) => logIfOpen(daemon, (logger) => logger.error({ err: error }, `reload failed: ${String(error)}`)))
        .finally(() => (reloading = null));
    };
    // A bug that escapes every handler: one FATAL line in the log (grep ERROR/FATAL finds it), then exit 1 so that
    // systemd (Restart=always) or docker starts a clean process.
    const onFatal = (error: unknown) => {
      logIfOpen(daemon, (logger) =>
        logger.fatal({ err: error }, `unexpected error, exiting: ${(error as Error)?.message ?? String(error)}`),
      );
      daemon.flushLogs();
      daemon.releasePidFile();
      process.exit(1);
    };
    process.on('uncaughtException', onFatal);
    process.on('unhandledRejection', onFatal);
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGUSR2', onReopen);
    process.on('SIGHUP', onReload);
  });
}

/** The daemon's log is open from early in its start; before that (or after a failed start) there is nowhere to log. */
function logIfOpen(daemon: Daemon, write: (logger: Daemon['logger']) => void): void {
  try {
    write(daemon.logger);
  } catch {
    // not started: the exit code and stderr say enough
  }
}
