/**
 * Starting a daemon in the background and stopping it, for `aics serve --detach`, `aics stop` and `aics restart`:
 * what the seed did with nohup, pkill and ps.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDaemonAlive, readPid, type StartRecord } from './pid-file.js';

const RUN_JS = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

export interface DetachOptions {
  /** `serve` arguments (without --detach); --pid-file is added. */
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  pidFile: string;
  logFile: string;
  /** Resolves when the daemon answers its health check; rejects (or returns false) otherwise. */
  healthy: () => Promise<boolean>;
  timeoutMs: number;
}

export type DetachResult = { ok: true; pid: number } | { ok: false; pid: number | null; reason: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `aics serve` detached from this terminal, its output appended to the log file, and returns once it is
 * healthy and has written its pid file — or says why it did not come up (its exit code, or a timeout).
 */
export async function startDetached(o: DetachOptions): Promise<DetachResult> {
  mkdirSync(dirname(o.logFile), { recursive: true });
  const out = openSync(o.logFile, 'a');
  let exited: number | null = null;
  let child;
  try {
    child = spawn(process.execPath, [RUN_JS, 'serve', ...o.argv, '--pid-file', o.pidFile], {
      cwd: o.cwd,
      env: o.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
  child.on('exit', (code, signal) => (exited = code ?? (signal ? 128 : 1)));
  child.unref();
  const pid = child.pid ?? null;
  const deadline = Date.now() + o.timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) return { ok: false, pid, reason: `the daemon exited with code ${exited} while starting; see ${o.logFile}` };
    if (readPid(o.pidFile) === pid && (await o.healthy().catch(() => false))) return { ok: true, pid: pid! };
    await sleep(100);
  }
  return { ok: false, pid, reason: `the daemon did not answer its health check within ${o.timeoutMs / 1000} s; see ${o.logFile}` };
}

export type StopResult =
  | { outcome: 'stopped'; pid: number; waitedMs: number }
  | { outcome: 'killed'; pid: number; waitedMs: number }
  | { outcome: 'timeout'; pid: number; waitedMs: number }
  | { outcome: 'not-running'; pid: number | null };

/** SIGTERM, then wait for the drain; with `force`, SIGKILL once the wait is over. */
export async function stopDaemon(pidFile: string, options: { timeoutMs: number; force: boolean }): Promise<StopResult> {
  const pid = readPid(pidFile);
  if (pid === null || !isDaemonAlive(pid)) return { outcome: 'not-running', pid };
  const started = Date.now();
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return { outcome: 'not-running', pid };
  }
  while (Date.now() - started < options.timeoutMs) {
    if (!isDaemonAlive(pid)) return { outcome: 'stopped', pid, waitedMs: Date.now() - started };
    await sleep(100);
  }
  if (!options.force) return { outcome: 'timeout', pid, waitedMs: Date.now() - started };
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // it went away on its own just now
  }
  while (isDaemonAlive(pid)) await sleep(50);
  return { outcome: 'killed', pid, waitedMs: Date.now() - started };
}

/** The record's `serve` arguments and environment, ready to start the same daemon again. */
export function restartPlan(record: StartRecord, currentEnv: NodeJS.ProcessEnv): { argv: string[]; cwd: string; env: NodeJS.ProcessEnv } {
  return { argv: record.argv, cwd: record.cwd, env: { ...currentEnv, ...record.env } };
}
