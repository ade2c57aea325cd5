/** Builds a real daemon in-process (composition root, temp-dir SQLite file, port 0) and talks to it over HTTP. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { resolveSettings, type SettingFlags } from '../../src/config.js';
import { Daemon, type DaemonOptions } from '../../src/daemon/daemon.js';
import { SEED, tempDir } from './fixtures.js';
import { EVENT_LIMIT_MS, atLeast } from './limits.js';

export { SEED, tempDir };

export interface TestDaemon {
  daemon: Daemon;
  url: string;
  dir: string;
  db: string;
  logFile: string;
  stop: () => Promise<void>;
}

/** Settings as the daemon would resolve them in `dir`, with no environment leaking in from the test runner. */
export function testSettings(dir: string, flags: SettingFlags = {}, env: Record<string, string> = {}) {
  return resolveSettings(
    { port: 0, db: join(dir, 'db/tasks.db'), logFile: join(dir, 'logs/aics.log'), ...flags },
    { TZ: 'Asia/Shanghai', AICS_SEND_RATE: '0', AICS_SEND_RATE_CUSTOMER: '0', ...env },
    dir,
  );
}

export async function startDaemon(flags: SettingFlags = {}, options: Partial<Omit<DaemonOptions, 'settings'>> = {}): Promise<TestDaemon> {
  const { dir, cleanup } = tempDir();
  const settings = testSettings(dir, flags);
  const daemon = new Daemon({ settings, mode: 'api-only', pollMs: 100, ...options });
  const { url } = await daemon.start();
  return {
    daemon,
    url: url.replace('0.0.0.0', '127.0.0.1'),
    dir,
    db: settings.db,
    logFile: settings.logFile,
    stop: async () => {
      await daemon.stop('test');
      cleanup();
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/** One HTTP request; the body is sent as JSON unless it is a string (then as is). */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const hasBody = body !== undefined;
  const res = await request(`${url}${path}`, {
    method: method as 'GET',
    headers: { ...(hasBody && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
    body: hasBody ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined,
  });
  const text = await res.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, text };
}

/** A valid task (the seed's example) with another id and optional changes. */
export function task(id: string, changes: Record<string, unknown> = {}): Record<string, any> {
  return { ...structuredClone(SEED.receive), task_id: id, ...changes };
}

/** Polls fn until it returns something truthy, and returns that. */
export async function until<T>(fn: () => T | Promise<T>, requestedMs?: number, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + atLeast(EVENT_LIMIT_MS, requestedMs);
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The first line of a log file that contains `text`, once it is there (the log is written asynchronously). */
export function untilLogLine(file: string, text: string, requestedMs?: number): Promise<string> {
  return until(
    () =>
      existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            .find((l) => l.includes(text))
        : undefined,
    requestedMs,
    `a line with "${text}" in ${file}`,
  );
}
