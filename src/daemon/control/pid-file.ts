/**
 * The pid file of a daemon and, beside it, how it was started (so `aics restart` from cron starts it the same way).
 * The pid file holds only the pid, so `kill $(cat aics.pid)` and systemd's PIDFile= work too; the start record
 * (`aics.pid.json`) holds the rest and outlives the daemon, so a restart can start a daemon that is not running.
 *
 * A pid file can outlive its process (SIGKILL, power loss) and its pid be reused by another program, so "is it
 * running" means: the pid exists, its command line is `… aics|run.js … serve …` (Linux: /proc), and — when the
 * start record has it — it was started when the daemon was (so another aics serve that got the pid is not taken
 * for it).
 */
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Settings } from '../../config.js';
import { InvalidStateError } from '../../errors.js';
import { parseStoreLocation } from '../../store/index.js';

export interface StartRecord {
  pid: number;
  /** Arguments of `aics serve`, without --detach, --pid-file and --json. */
  argv: string[];
  cwd: string;
  /** The aics-related environment at start (AICS_*, AI_CS_*, HTTP_API_PORT, TIANWANG_*, TZ). */
  env: Record<string, string>;
  started_at: string;
  /** Where a client on this machine reaches its API (the port actually bound, also with --port 0). */
  url: string;
  log_file: string;
  mode: string;
  db: string;
  /** Linux: the process's start time in clock ticks after boot (/proc/PID/stat), to tell a reused pid. */
  proc_start: number | null;
  /**
   * Started by `serve --detach` (or `restart`); false for a foreground `serve --pid-file` under systemd, docker or a
   * terminal, whose supervisor restarts it: `aics restart` leaves such a daemon to it.
   */
  detached: boolean;
}

export const PID_FILE_NAME = 'aics.pid';

/**
 * Default: beside a SQLite database, so each database has its own daemon record; in the working folder for a
 * database server, which several daemons (each in its own folder) may share.
 */
export function defaultPidFile(db: string): string {
  const where = parseStoreLocation(db);
  return where.kind === 'sqlite' ? join(dirname(where.file), PID_FILE_NAME) : resolve(PID_FILE_NAME);
}

/**
 * The one answer to "which pid file": --pid-file, then AICS_PID_FILE (both in settings.pidFile), then beside the
 * database. `serve --detach`, `stop`, `restart` and `status` all ask here.
 */
export function pidFileFor(settings: Pick<Settings, 'pidFile' | 'db'>): string {
  return settings.pidFile ?? defaultPidFile(settings.db);
}

export function startRecordPath(pidFile: string): string {
  return `${pidFile}.json`;
}

/** Names of the environment that configures aics: kept in the start record, replaced on a restart. */
const AICS_ENV = /^(AICS_|AI_CS_|TIANWANG_|HTTP_API_PORT$|TZ$)/;

/** Set by startDetached in the daemon's environment, so that its start record says it was detached. */
export const DETACHED_ENV = 'AICS_DETACHED';

/** The variables that configure aics and must survive a restart from cron's bare environment. */
export function aicsEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && AICS_ENV.test(k) && k !== DETACHED_ENV) out[k] = v;
  return out;
}

/** `env` without the variables that configure aics (a restart takes those from the start record only). */
export function withoutAicsEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!AICS_ENV.test(k)) out[k] = v;
  return out;
}

/**
 * `serve` arguments as the start record keeps them: without --detach (a restart detaches anyway), --pid-file (the
 * record sits beside it; a restart passes it again) and --json (the detached daemon's stdout goes nowhere, and its
 * one-line error must reach the log file on stderr).
 */
export function recordedServeArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a === '--detach' || a === '--json' || a.startsWith('--pid-file=')) continue;
    if (a === '--pid-file') {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

function writeAtomic(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

/** The start record, written by the daemon once it listens. Owner-only: its env may hold AICS_API_TOKEN. */
export function writeStartRecord(pidFile: string, record: StartRecord): void {
  writeAtomic(startRecordPath(pidFile), `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

export function readPid(pidFile: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function readStartRecord(pidFile: string): StartRecord | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(startRecordPath(pidFile), 'utf8'));
  } catch {
    return null;
  }
  const r = parsed as Partial<StartRecord> | null;
  const valid =
    r !== null &&
    typeof r === 'object' &&
    Number.isInteger(r.pid) &&
    Array.isArray(r.argv) &&
    r.argv.every((a) => typeof a === 'string') &&
    typeof r.cwd === 'string' &&
    typeof r.env === 'object' &&
    r.env !== null &&
    typeof r.url === 'string';
  if (!valid) return null;
  return { started_at: '', log_file: '', mode: '', db: '', proc_start: null, detached: true, ...r } as StartRecord;
}

/** Removes the pid file, but only if it still names `pid` (a newer daemon may have replaced it). */
export function removePidFile(pidFile: string, pid: number): void {
  if (readPid(pidFile) === pid) rmSync(pidFile, { force: true });
}

/** Removes a pid file found stale: only if it still names `pid` (or, for a file without a pid, still has none). */
export function discardStalePidFile(pidFile: string, pid: number | null): void {
  if (pid !== null) removePidFile(pidFile, pid);
  else if (existsSync(pidFile) && readPid(pidFile) === null) rmSync(pidFile, { force: true });
}

/** Linux: when the process started, in clock ticks after boot (field 22 of /proc/PID/stat); null elsewhere. */
export function processStartTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "PID (comm) S ppid …": comm may hold spaces and parentheses, so count fields after its last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** `node …/bin/run.js serve …`, `node /usr/bin/aics serve …`, `node --import tsx bin/dev.js serve …`. */
export function isAicsServeCommandLine(args: readonly string[]): boolean {
  return args.includes('serve') && args.some((a) => /(?:^|[/\\])(?:aics|run\.js|dev\.js)$/.test(a));
}

export type Liveness = { alive: true } | { alive: false; why: string };

/**
 * Whether `pid` is the aics daemon that `record` describes (or, without one, any aics daemon). A dead process,
 * a zombie, another program that got the pid, or another aics serve started later under it are not.
 */
export function daemonLiveness(pid: number, record: StartRecord | null = null): Liveness {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user; the command line below still tells what it is.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return { alive: false, why: `pid ${pid} is not running` };
  }
  if (!existsSync('/proc/self/cmdline')) return { alive: true }; // no /proc: the signal check is all there is
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return { alive: false, why: `pid ${pid} is not running` };
  }
  if (args.length === 0) return { alive: false, why: `pid ${pid} is not running (it has exited)` }; // a zombie
  if (!isAicsServeCommandLine(args)) {
    return { alive: false, why: `pid ${pid} is now another program (${args.join(' ').slice(0, 80)}), not aics serve` };
  }
  if (record && record.pid === pid && record.proc_start !== null) {
    const ticks = processStartTicks(pid);
    if (ticks !== null && ticks !== record.proc_start)
      return { alive: false, why: `pid ${pid} is now another aics serve, started after the recorded one` };
  }
  return { alive: true };
}

export type PidFileState =
  | { state: 'running'; pid: number; record: StartRecord | null }
  | { state: 'stale'; pid: number | null; why: string; record: StartRecord | null }
  | { state: 'absent'; pid: null; record: StartRecord | null };

/** What the pid file says: a running daemon, a stale file (and why), or none. Changes nothing. */
export function inspectPidFile(pidFile: string): PidFileState {
  const record = readStartRecord(pidFile);
  if (!existsSync(pidFile)) return { state: 'absent', pid: null, record };
  const pid = readPid(pidFile);
  if (pid === null) return { state: 'stale', pid: null, why: 'it does not hold a pid', record };
  const live = daemonLiveness(pid, record);
  return live.alive ? { state: 'running', pid, record } : { state: 'stale', pid, why: live.why, record };
}

/** "already running, pid N (pid file F)": exit 5. */
export function alreadyRunning(pid: number, pidFile: string): InvalidStateError {
  return new InvalidStateError(`already running, pid ${pid} (pid file ${pidFile}): "aics status" shows it, "aics stop" stops it`);
}

/**
 * Claims the pid file for `pid`, atomically (a complete file is linked into place, so two daemons starting at once
 * cannot both have it). A running daemon's file is refused (exit 5); a stale one is replaced, and why is returned.
 */
export function acquirePidFile(pidFile: string, pid = process.pid): { replaced: string | null } {
  mkdirSync(dirname(pidFile), { recursive: true });
  const tmp = `${pidFile}.${pid}.tmp`;
  writeFileSync(tmp, `${pid}\n`, { mode: 0o644 });
  let replaced: string | null = null;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, pidFile);
        return { replaced };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
      }
      const found = inspectPidFile(pidFile);
      if (found.state === 'running' && found.pid !== pid) throw alreadyRunning(found.pid, pidFile);
      replaced = found.state === 'stale' ? `stale pid file ${pidFile}: ${found.why}` : replaced;
      // Only if it still says what was inspected (another starter may have just replaced it).
      if (found.state === 'stale') discardStalePidFile(pidFile, found.pid);
      else if (found.state === 'running') rmSync(pidFile, { force: true }); // it names this very process
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}
