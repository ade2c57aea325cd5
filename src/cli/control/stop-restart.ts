/**
 * Stopping and restarting the daemon of a pid file, for `aics stop` and `aics restart`: what the seed did with pkill
 * and cron. Signals the pid the pid file names and waits for it to drain; restarts from the start record.
 */
import { resolveSettings } from '../../config.js';
import { AicsError, DaemonUnreachableError, ExitCode, InvalidStateError } from '../../errors.js';
import {
  daemonLiveness,
  discardStalePidFile,
  inspectPidFile,
  removePidFile,
  withoutAicsEnvironment,
  type StartRecord,
} from '../../daemon/control/pid-file.js';
import { recordToken } from './daemon-status.js';
import { StartFailedError, startDetached, type Started } from './start-detached.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StopOptions {
  timeoutMs: number;
  /** SIGKILL once the wait is over. */
  force: boolean;
}

export type StopResult =
  | { outcome: 'stopped' | 'killed'; pid: number; waited_ms: number; /** false: a supervisor may start it again */ detached: boolean }
  | { outcome: 'timeout'; pid: number; waited_ms: number }
  | { outcome: 'not-running'; pid: null; stale: string | null };

/**
 * SIGTERM to the daemon of this pid file, then wait for it to drain and exit; with `force`, SIGKILL once
 * `timeoutMs` is over. A stale pid file is removed (and reported as `stale`); so is the file of a killed daemon.
 */
export async function stopDaemon(pidFile: string, options: StopOptions): Promise<StopResult> {
  const found = inspectPidFile(pidFile);
  if (found.state !== 'running') {
    if (found.state === 'stale') discardStalePidFile(pidFile, found.pid);
    return { outcome: 'not-running', pid: null, stale: found.state === 'stale' ? `removed stale pid file ${pidFile}: ${found.why}` : null };
  }
  const { pid, record } = found;
  const detached = record?.pid === pid ? record.detached : true;
  const started = Date.now();
  const gone = () => !daemonLiveness(pid, record).alive;
  if (!signal(pid, 'SIGTERM')) return { outcome: 'stopped', pid, waited_ms: 0, detached };
  while (Date.now() - started < options.timeoutMs) {
    if (gone()) {
      removePidFile(pidFile, pid);
      return { outcome: 'stopped', pid, waited_ms: Date.now() - started, detached };
    }
    await sleep(50);
  }
  if (!options.force) return { outcome: 'timeout', pid, waited_ms: Date.now() - started };
  signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (!gone() && Date.now() < killDeadline) await sleep(50);
  // A killed daemon cannot remove its own pid file.
  removePidFile(pidFile, pid);
  return { outcome: 'killed', pid, waited_ms: Date.now() - started, detached };
}

/**
 * SIGHUP to the daemon named by the pid file (`aics reload`): under --multi it replaces its worker processes one at a
 * time; in one process it reopens its log file. Returns at once; the daemon logs the progress.
 */
export function reloadDaemon(pidFile: string): { outcome: 'not-running'; stale: string | null } | { outcome: 'signalled'; pid: number } {
  const found = inspectPidFile(pidFile);
  if (found.state === 'running' && signal(found.pid, 'SIGHUP')) return { outcome: 'signalled', pid: found.pid };
  if (found.state === 'stale') discardStalePidFile(pidFile, found.pid);
  return { outcome: 'not-running', stale: found.state === 'stale' ? `removed stale pid file ${pidFile}: ${found.why}` : null };
}

/** false when the process is already gone; throws when it may not be signalled (another user's daemon). */
function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM')
      throw new AicsError(`not allowed to signal pid ${pid}: run this as the user that started the daemon`, ExitCode.unexpected, 500);
    throw error;
  }
}

/** The record's `serve` arguments, folder and environment, ready to start the same daemon again. */
export function restartPlan(record: StartRecord, currentEnv: NodeJS.ProcessEnv): { argv: string[]; cwd: string; env: NodeJS.ProcessEnv } {
  // The record's aics variables, and only those: cron's environment has none, an operator's shell may have others.
  return { argv: [...record.argv], cwd: record.cwd, env: { ...withoutAicsEnvironment(currentEnv), ...record.env } };
}

export type RestartResult =
  | { outcome: 'restarted'; stopped: Extract<StopResult, { outcome: 'stopped' | 'killed' }>; started: Started }
  | { outcome: 'started'; was: string; started: Started };

/**
 * Stop, then start again as the start record says (its arguments, folder and environment), so it works from
 * cron's bare environment and another folder. Nothing running but a record: starts it. Neither: exit 3.
 */
export async function restartDaemon(
  pidFile: string,
  options: StopOptions & { env?: NodeJS.ProcessEnv; startTimeoutMs?: number },
): Promise<RestartResult> {
  const before = inspectPidFile(pidFile);
  const record = before.record;
  if (!record) {
    throw new DaemonUnreachableError(
      before.state === 'running'
        ? `the daemon (pid ${before.pid}) has no start record ${pidFile}.json, so how to start it again is unknown: stop it with "aics stop" and start it with "aics serve --detach"`
        : `nothing to restart: no daemon runs for ${pidFile} and it has no start record; start one with "aics serve --detach" (or pass the --db / --pid-file it was started with)`,
    );
  }
  if (before.state === 'running' && !record.detached && record.pid === before.pid) {
    throw new InvalidStateError(
      `the daemon (pid ${before.pid}) runs in the foreground under a supervisor (systemd, docker or a terminal), which would start it again too: restart it there, e.g. "systemctl restart aics"`,
    );
  }
  const plan = restartPlan(record, options.env ?? process.env);
  const start = () =>
    startDetached({
      ...plan,
      pidFile,
      logFile: record.log_file || resolveSettings({}, plan.env, plan.cwd).logFile,
      token: recordToken(record, null),
      timeoutMs: options.startTimeoutMs,
    });
  const stopped = await stopDaemon(pidFile, options);
  if (stopped.outcome === 'timeout') throw stopTimeout(stopped.pid, stopped.waited_ms);
  if (stopped.outcome === 'not-running') {
    const was = stopped.stale ?? 'it was not running';
    return { outcome: 'started', was, started: await start() };
  }
  try {
    return { outcome: 'restarted', stopped, started: await start() };
  } catch (error) {
    if (error instanceof StartFailedError) {
      throw new StartFailedError(`stopped pid ${stopped.pid}, but ${error.message}`, error.childExitCode);
    }
    throw error;
  }
}

/** The daemon is still draining after the wait (exit 1). */
export function stopTimeout(pid: number, waitedMs: number): AicsError {
  return new AicsError(
    `pid ${pid} is still running after ${Math.round(waitedMs / 1000)} s of SIGTERM (still finishing its work?): wait and run "aics stop" again, or "aics stop --force" to kill it`,
    ExitCode.unexpected,
    500,
  );
}
