/**
 * The pid file of a detached daemon and, beside it, how it was started (so `aics restart` from cron starts it the
 * same way). The pid file holds only the pid, so `kill $(cat aics.pid)` and systemd's PIDFile= work too.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface StartRecord {
  pid: number;
  /** Arguments of `aics serve`, without --detach. */
  argv: string[];
  cwd: string;
  /** The aics-related environment at start (AICS_*, AI_CS_*, HTTP_API_PORT, TIANWANG_*, TZ). */
  env: Record<string, string>;
  started_at: string;
  /** Where its health answers, e.g. http://127.0.0.1:6060. */
  url: string;
  log_file: string;
}

export const PID_FILE_NAME = 'aics.pid';

/** Default: beside the database, so each database has its own daemon record. */
export function defaultPidFile(dbFile: string): string {
  return join(dirname(dbFile), PID_FILE_NAME);
}

export function startRecordPath(pidFile: string): string {
  return `${pidFile}.json`;
}

/** Environment names that configure aics and must survive a restart from cron's bare environment. */
export function aicsEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && /^(AICS_|AI_CS_|TIANWANG_|HTTP_API_PORT$|TZ$)/.test(k)) out[k] = v;
  }
  return out;
}

function writeAtomic(path: string, text: string, mode: number) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

export function writePidFile(pidFile: string, record: StartRecord): void {
  // The start record may hold AICS_API_TOKEN: readable by its owner only.
  writeAtomic(startRecordPath(pidFile), `${JSON.stringify(record, null, 2)}\n`, 0o600);
  writeAtomic(pidFile, `${record.pid}\n`, 0o644);
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
  try {
    return JSON.parse(readFileSync(startRecordPath(pidFile), 'utf8')) as StartRecord;
  } catch {
    return null;
  }
}

/** Removes the pid file, but only if it still names `pid` (a newer daemon may have replaced it). */
export function removePidFile(pidFile: string, pid: number): void {
  if (readPid(pidFile) === pid) rmSync(pidFile, { force: true });
}

/**
 * Whether `pid` is a live aics daemon. A pid file can outlive its process and the pid be reused by something
 * else, so on Linux the command line is checked too.
 */
export function isDaemonAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync('/proc/self/cmdline')) {
    try {
      const args = readFileSync(cmdline, 'utf8').split('\0');
      return args.includes('serve');
    } catch {
      return false;
    }
  }
  return true;
}
