/**
 * Starting a daemon in the background, stopping it, restarting it and asking how it is, for `aics serve --detach`,
 * `aics stop`, `aics restart` and `aics status`: what the seed did with nohup, pkill, ps, netstat and cron.
 *
 * Everything goes through the pid file (pid-file.ts): the daemon writes it, with its start record, once it listens;
 * these functions only read it, signal the pid it names, and remove it when it is stale.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AicsClient } from '../../api/client.js';
import type { HealthData, HealthMinimalData } from '../../api/types.js';
import { resolveSettings } from '../../config.js';
import { AicsError, DaemonUnreachableError, ExitCode, InvalidStateError, type ExitCodeValue } from '../../errors.js';
import {
  alreadyRunning,
  DETACHED_ENV,
  daemonLiveness,
  discardStalePidFile,
  inspectPidFile,
  readPid,
  readStartRecord,
  removePidFile,
  withoutAicsEnvironment,
  type StartRecord,
} from './pid-file.js';

const RUN_JS = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

/** How long a detached start waits for the daemon's health check. */
export const START_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The daemon did not come up: its own one-line error and exit code, when it gave them. */
export class StartFailedError extends AicsError {
  constructor(
    message: string,
    readonly childExitCode: number | null,
  ) {
    super(message, asExitCode(childExitCode), 500);
  }
}

const KNOWN_EXIT_CODES = new Set<number>(Object.values(ExitCode));

/** The child's exit code when it is one of ours (2 usage, 5 already running, 7 database …), else 1. */
function asExitCode(code: number | null): ExitCodeValue {
  return code !== null && code !== 0 && KNOWN_EXIT_CODES.has(code) ? (code as ExitCodeValue) : ExitCode.unexpected;
}

export interface DetachOptions {
  /** `serve` arguments (recordedServeArgs: without --detach, --pid-file, --json); --pid-file is added. */
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  pidFile: string;
  /** The daemon's stderr is appended here (its log lines go here anyway); its stdout goes nowhere. */
  logFile: string;
  /** For the health check when the API requires a token. */
  token: string | null;
  timeoutMs?: number;
}

export interface Started {
  pid: number;
  url: string;
  log_file: string;
  pid_file: string;
  record: StartRecord;
  /** Why a stale pid file was replaced, when it was. */
  replaced: string | null;
}

/**
 * Starts `aics serve` detached from this terminal (its own session, so a closing terminal or cron's end does not
 * take it along) and returns once it has written its start record and answers its health check. Refuses when a
 * daemon already runs for this pid file (exit 5); replaces a stale pid file. Throws StartFailedError with the
 * daemon's own error line from the log file and its exit code when it exits while starting, or when it does not
 * answer within the timeout.
 */
export async function startDetached(o: DetachOptions): Promise<Started> {
  const found = inspectPidFile(o.pidFile);
  if (found.state === 'running') throw alreadyRunning(found.pid, o.pidFile);
  let replaced: string | null = null;
  if (found.state === 'stale') {
    replaced = `stale pid file ${o.pidFile}: ${found.why}`;
    discardStalePidFile(o.pidFile, found.pid);
  }

  mkdirSync(dirname(o.logFile), { recursive: true });
  const logOffset = fileSize(o.logFile);
  const out = openSync(o.logFile, 'a');
  let exited: number | null = null;
  let spawnError: Error | null = null;
  let child;
  try {
    child = spawn(process.execPath, [RUN_JS, 'serve', ...o.argv, '--pid-file', o.pidFile], {
      cwd: o.cwd,
      env: { ...o.env, [DETACHED_ENV]: '1' },
      detached: true,
      stdio: ['ignore', 'ignore', out],
    });
  } finally {
    closeSync(out);
  }
  child.on('error', (error) => (spawnError = error));
  child.on('exit', (code, signal) => (exited = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  child.unref();
  const pid = child.pid ?? null;
  const timeoutMs = o.timeoutMs ?? START_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'it has not written its start record yet';
  while (Date.now() < deadline) {
    if (spawnError) throw new StartFailedError(`could not start the daemon in ${o.cwd}: ${(spawnError as Error).message}`, null);
    if (exited !== null) {
      // Let its last stderr bytes land in the file.
      const line = lastErrorLine(o.logFile, logOffset);
      throw new StartFailedError(
        `the daemon exited with code ${exited} while starting${line ? `: ${line}` : ''} (log: ${o.logFile})`,
        exited,
      );
    }
    const record = readStartRecord(o.pidFile);
    if (pid !== null && record?.pid === pid && readPid(o.pidFile) === pid) {
      const answer = await probeHealth(record.url, o.token, 2000);
      if (answer.ok) return { pid, url: record.url, log_file: record.log_file || o.logFile, pid_file: o.pidFile, record, replaced };
      lastProblem = answer.problem;
    }
    await sleep(100);
  }
  throw new StartFailedError(
    `the daemon (pid ${pid}) did not answer its health check within ${timeoutMs / 1000} s (${lastProblem}); it may still be starting: see "aics status" and ${o.logFile}`,
    null,
  );
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * The reason a daemon gave for not starting, from what it appended to the log file after `offset`: the command's
 * "error: …" line on stderr, else the message of the last ERROR/FATAL JSON line, else the last line.
 */
export function lastErrorLine(logFile: string, offset: number): string | null {
  let text = '';
  try {
    const size = fileSize(logFile);
    const from = Math.max(offset, size - 64 * 1024);
    const fd = openSync(logFile, 'r');
    try {
      const buf = Buffer.alloc(size - from);
      readSync(fd, buf, 0, buf.length, from);
      text = buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.startsWith('error: ')) return lines[i]!.slice('error: '.length);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const rec = JSON.parse(lines[i]!) as { level?: unknown; msg?: unknown };
      if ((rec.level === 'ERROR' || rec.level === 'FATAL' || rec.level === 50 || rec.level === 60) && typeof rec.msg === 'string') return rec.msg;
    } catch {
      // not JSON
    }
  }
  return lines.at(-1) ?? null;
}

export type HealthProbe =
  | { ok: true; full: true; health: HealthData }
  | { ok: true; full: false; health: HealthMinimalData }
  | { ok: false; problem: string };

/** GET /api/health; `full: false` when the daemon wants a token that we do not have (or have wrong). */
export async function probeHealth(url: string, token: string | null, timeoutMs = 3000): Promise<HealthProbe> {
  try {
    const health = await new AicsClient({ baseUrl: url, token, timeoutMs }).health();
    return 'mode' in health ? { ok: true, full: true, health } : { ok: true, full: false, health };
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
}

/** The token the recorded daemon requires: what it resolved from its environment and .env files. */
export function recordToken(record: StartRecord | null, fallback: string | null): string | null {
  if (!record) return fallback;
  try {
    return resolveSettings({}, record.env, record.cwd).apiToken ?? fallback;
  } catch {
    return record.env.AICS_API_TOKEN ?? fallback;
  }
}

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

/** false when the process is already gone; throws when it may not be signalled (another user's daemon). */
function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') throw new AicsError(`not allowed to signal pid ${pid}: run this as the user that started the daemon`, ExitCode.unexpected, 500);
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
export async function restartDaemon(pidFile: string, options: StopOptions & { env?: NodeJS.ProcessEnv; startTimeoutMs?: number }): Promise<RestartResult> {
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

export interface DaemonStatus {
  /** The process of the pid file is an aics serve. */
  running: boolean;
  /** It answers its health check. */
  healthy: boolean;
  /** Why it is not healthy (null when it is). */
  problem: string | null;
  pid: number | null;
  pid_file: string;
  url: string | null;
  log_file: string | null;
  started_at: string | null;
  uptime_s: number | null;
  mode: string | null;
  version: string | null;
  /** The 轻简 bridge as the daemon reports it (disabled in api-only). */
  qingjian: HealthData['qingjian'] | null;
  tasks: HealthData['tasks'] | null;
  outbox_backlog: number | null;
  /** 派单 orders held because TIANWANG_DISPATCH_URL is unset. */
  dispatch_held: number | null;
  /** What keeps a running daemon from doing all of its job (GET /api/health's warnings). */
  warnings: string[];
  /** The latest error the daemon reports: the bridge's, then the callbacks'. */
  last_error: string | null;
  /** The health details need the token, which we do not have. */
  details_hidden: boolean;
  /** How it was last started (argv and cwd), from the start record. */
  start: { argv: string[]; cwd: string } | null;
}

/** How the daemon of this pid file is: running or not, and what its /api/health says. Changes nothing. */
export async function daemonStatus(pidFile: string, options: { token: string | null; timeoutMs?: number }): Promise<DaemonStatus> {
  const found = inspectPidFile(pidFile);
  const record = found.record;
  const current = found.state === 'running' && record?.pid === found.pid ? record : null;
  const base: DaemonStatus = {
    running: found.state === 'running',
    healthy: false,
    problem: null,
    pid: found.state === 'running' ? found.pid : null,
    pid_file: pidFile,
    url: current?.url ?? null,
    log_file: record?.log_file || null,
    started_at: current?.started_at ?? null,
    uptime_s: current?.started_at ? Math.max(0, Math.floor((Date.now() - Date.parse(current.started_at)) / 1000)) : null,
    mode: current?.mode || null,
    version: null,
    qingjian: null,
    tasks: null,
    outbox_backlog: null,
    dispatch_held: null,
    warnings: [],
    last_error: null,
    details_hidden: false,
    start: record ? { argv: record.argv, cwd: record.cwd } : null,
  };
  if (found.state === 'absent') return { ...base, problem: `not running (no pid file ${pidFile})` };
  if (found.state === 'stale') return { ...base, problem: `not running (${found.why}; stale pid file ${pidFile})` };
  if (!current) {
    return { ...base, problem: `running (pid ${found.pid}) but not answering: it has not written its start record ${pidFile}.json (still starting?)` };
  }
  const probe = await probeHealth(current.url, recordToken(current, options.token), options.timeoutMs ?? 3000);
  if (!probe.ok) return { ...base, problem: `running (pid ${found.pid}) but not answering at ${current.url}: ${probe.problem}` };
  if (!probe.full) return { ...base, healthy: true, details_hidden: true };
  const h = probe.health;
  const lastError = [
    h.qingjian.last_error ? `轻简: ${String(h.qingjian.last_error)}` : null,
    h.outbox?.last_error ? `callbacks: ${h.outbox.last_error}` : null,
  ].filter(Boolean);
  return {
    ...base,
    healthy: true,
    started_at: h.started_at,
    uptime_s: h.uptime_s,
    mode: h.mode,
    version: h.version,
    qingjian: h.qingjian,
    tasks: h.tasks,
    outbox_backlog: h.outbox_backlog,
    dispatch_held: h.dispatch_held ?? null,
    warnings: h.warnings ?? [],
    last_error: lastError.length ? lastError.join('; ') : null,
  };
}
