/**
 * Starting a daemon in the background for `aics serve --detach` and `aics restart`: what the seed did with nohup.
 *
 * Everything goes through the pid file (daemon/control/pid-file.ts): the daemon writes it, with its start record, once
 * it listens; this side only reads it, and removes it when it is stale.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AicsError, ExitCode, type ExitCodeValue } from '../../errors.js';
import {
  alreadyRunning,
  DETACHED_ENV,
  discardStalePidFile,
  inspectPidFile,
  readPid,
  readStartRecord,
  type StartRecord,
} from '../../daemon/control/pid-file.js';
import { probeHealth } from './daemon-status.js';

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
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.startsWith('error: ')) return lines[i]!.slice('error: '.length);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const rec = JSON.parse(lines[i]!) as { level?: unknown; msg?: unknown };
      if ((rec.level === 'ERROR' || rec.level === 'FATAL' || rec.level === 50 || rec.level === 60) && typeof rec.msg === 'string')
        return rec.msg;
    } catch {
      // not JSON
    }
  }
  return lines.at(-1) ?? null;
}
