/**
 * `aics doctor`: one verdict per thing that has to be right for the desk to work, each with what to do about it.
 * Reads and probes only: nothing is created, written or changed (the port is probed by binding it for a moment,
 * the 轻简 bridge by opening and closing a connection, and only when no daemon of ours holds them).
 */
import { accessSync, constants, existsSync, statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { request } from 'undici';
import WebSocket from 'ws';
import { isLoopbackHost, type Settings } from '../config.js';
import type { DaemonStatus } from '../cli/control/daemon-status.js';
import { inspectDatabase, parseStoreLocation } from '../store/index.js';
import type { CheckResult } from './check-result.js';
import { serverDatabaseChecks } from './server-database-checks.js';

export type { CheckResult, Verdict } from './check-result.js';
import { isValidTimeZone, formatInZone } from '../tasks/index.js';

export interface DoctorContext {
  settings: Settings;
  /** The daemon of this database as `aics status` sees it. */
  daemon: DaemonStatus;
  nodeVersion?: string;
  timeoutMs?: number;
}

const MB = 1024 * 1024;

export async function runChecks(ctx: DoctorContext): Promise<CheckResult[]> {
  const t = ctx.timeoutMs ?? 3000;
  const probes: Promise<CheckResult | CheckResult[]>[] = [
    Promise.resolve(nodeCheck(ctx.nodeVersion ?? process.versions.node)),
    Promise.resolve(databaseChecks(ctx.settings)),
    portCheck(ctx),
    bridgeCheck(ctx, t),
    urlCheck('callback URL', ctx.settings.callbackUrl, 'TIANWANG_CALLBACK_URL', t, ctx.daemon),
    urlCheck('dispatch URL', ctx.settings.dispatchUrl, 'TIANWANG_DISPATCH_URL', t, ctx.daemon),
    Promise.resolve(tokenCheck(ctx.settings)),
    clockCheck(ctx.settings, t),
    Promise.resolve(logCheck(ctx.settings.logFile)),
    llmCheck(ctx.settings, t),
  ];
  return (await Promise.all(probes)).flat();
}

/** The installed better-sqlite3's version: which Node it survives depends on it (12: Node 20 and 22; 13: 22 and 24). */
function betterSqliteVersion(): string | null {
  try {
    return (createRequire(import.meta.url)('better-sqlite3/package.json') as { version: string }).version;
  } catch {
    return null;
  }
}

export function nodeCheck(version: string, sqliteVersion: string | null = betterSqliteVersion()): CheckResult {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const detail = `Node ${version}`;
  const withSqlite = sqliteVersion ? `${detail}, better-sqlite3 ${sqliteVersion}` : detail;
  if (major < 20 || (major === 20 && minor < 19)) {
    return { check: 'node', verdict: 'fail', detail, fix: 'install Node 24 or 22 (or at least 20.19)' };
  }
  // package.json allows better-sqlite3 "12.11.1 || 13.2.0" and npm picks the newest one whose engines fit the Node it
  // runs on: 12 on Node 20, 13 (Node-API, Node >= 22) on 22 and 24. A tree installed on one Node and run on another
  // can hold the wrong one: 12 aborts the process on Node 24 when a statement is garbage-collected, and 13 crashes on
  // Node 20 (segmentation fault) as soon as a database is used.
  const sqliteMajor = Number(sqliteVersion?.split('.')[0] ?? 0);
  const reinstall = `reinstall aics with this Node (npm install -g, or npm install in a checkout) so that npm picks the better-sqlite3 it supports`;
  if (major >= 24 && sqliteMajor > 0 && sqliteMajor <= 12) {
    return {
      check: 'node',
      verdict: 'fail',
      detail: `${detail} with better-sqlite3 ${sqliteVersion}: that combination aborts ("Assertion failed: (env) != nullptr")`,
      fix: `${reinstall} (13 on Node 24), or run aics on Node 22`,
    };
  }
  if (major < 22 && sqliteMajor >= 13) {
    return {
      check: 'node',
      verdict: 'fail',
      detail: `${detail} with better-sqlite3 ${sqliteVersion}, which needs Node 22 or later`,
      fix: `${reinstall} (12 on Node 20), or move to Node 22`,
    };
  }
  if (major === 20)
    return {
      check: 'node',
      verdict: 'warn',
      detail: `${withSqlite}: Node 20 reached its end of life in April 2026`,
      fix: 'move to Node 22 or 24',
    };
  return { check: 'node', verdict: 'ok', detail: withSqlite };
}

function databaseChecks(settings: Settings): CheckResult[] | Promise<CheckResult[]> {
  const location = parseStoreLocation(settings.db);
  if (location.kind !== 'sqlite') return serverDatabaseChecks(location.url);
  const file = location.file;
  const disk = diskCheck(existsSync(file) ? dirname(file) : nearestExisting(dirname(file)));
  if (!existsSync(file)) {
    return [
      {
        check: 'database',
        verdict: 'warn',
        detail: `${file} does not exist yet`,
        fix: 'it is created on the first "aics serve" or "aics task add"; check --db / AICS_DB if one exists elsewhere',
      },
      disk,
    ];
  }
  try {
    const info = inspectDatabase(file);
    const out: CheckResult[] = [];
    out.push(
      info.integrity.ok
        ? { check: 'database', verdict: 'ok', detail: `${file}: integrity ok` }
        : {
            check: 'database',
            verdict: 'fail',
            detail: `${file} is damaged: ${info.integrity.problems.slice(0, 3).join('; ')}`,
            fix: 'run "aics db check", then restore the latest "aics db backup" copy',
          },
    );
    if (info.schema_version > info.expected_version) {
      out.push({
        check: 'schema',
        verdict: 'fail',
        detail: `version ${info.schema_version}, written by a newer aics (this one knows ${info.expected_version})`,
        fix: 'upgrade aics',
      });
    } else if (info.schema_version < info.expected_version) {
      out.push({
        check: 'schema',
        verdict: 'ok',
        detail: `version ${info.schema_version}; migrated to ${info.expected_version} when the daemon next starts`,
      });
    } else {
      out.push({ check: 'schema', verdict: 'ok', detail: `version ${info.schema_version}` });
    }
    out.push(disk);
    return out;
  } catch (error) {
    return [
      {
        check: 'database',
        verdict: 'fail',
        detail: (error as Error).message,
        fix: 'check the path (--db, AICS_DB), its permissions, and that no other program locks it',
      },
      disk,
    ];
  }
}

function nearestExisting(dir: string): string {
  let d = resolve(dir);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

function diskCheck(dir: string): CheckResult {
  try {
    const s = statfsSync(dir);
    const free = s.bavail * s.bsize;
    const detail = `${Math.round(free / MB)} MB free in ${dir}`;
    if (free < 100 * MB)
      return { check: 'disk', verdict: 'fail', detail, fix: 'free disk space: SQLite stops writing when the disk is full' };
    if (free < 1024 * MB)
      return { check: 'disk', verdict: 'warn', detail, fix: 'free disk space soon (logs rotate, but the database and backups grow)' };
    return { check: 'disk', verdict: 'ok', detail };
  } catch (error) {
    return { check: 'disk', verdict: 'warn', detail: `cannot read free space of ${dir}: ${(error as Error).message}` };
  }
}

async function portCheck(ctx: DoctorContext): Promise<CheckResult> {
  const { host, port } = ctx.settings;
  if (ctx.daemon.healthy) return { check: 'port', verdict: 'ok', detail: `the aics daemon listens at ${ctx.daemon.url}` };
  const error = await new Promise<NodeJS.ErrnoException | null>((done) => {
    const server = createServer();
    server.once('error', (e) => done(e as NodeJS.ErrnoException));
    server.listen({ host, port, exclusive: true }, () => server.close(() => done(null)));
  });
  if (!error) return { check: 'port', verdict: 'ok', detail: `${host}:${port} is free for "aics serve"` };
  if (error.code === 'EADDRINUSE') {
    return {
      check: 'port',
      verdict: 'fail',
      detail: `${host}:${port} is in use by another program`,
      fix: `find it with "ss -ltnp 'sport = :${port}'", or choose --port / AI_CS_PORT`,
    };
  }
  return {
    check: 'port',
    verdict: 'fail',
    detail: `cannot listen on ${host}:${port}: ${error.code ?? error.message}`,
    fix: 'choose --host / AI_CS_HOST (an address of this machine) and a port above 1024',
  };
}

async function bridgeCheck(ctx: DoctorContext, timeoutMs: number): Promise<CheckResult> {
  const url = ctx.settings.qingjianUrl;
  const q = ctx.daemon.healthy ? ctx.daemon.qingjian : null;
  if (q && q.state !== 'disabled') {
    const accounts = Object.values((q.accounts ?? {}) as Record<string, { acc_id: string; status: string }>);
    const online = accounts.filter((a) => a.status === 'online').map((a) => a.acc_id);
    if (!q.connected)
      return {
        check: '轻简 bridge',
        verdict: 'fail',
        detail: `the daemon is not connected to ${q.url ?? url} (${q.state})`,
        fix: 'start 轻简 on the WeCom PC and check AICS_QINGJIAN_URL',
      };
    if (!online.length)
      return {
        check: '轻简 bridge',
        verdict: 'fail',
        detail: `connected to ${q.url ?? url}, but no WeCom account is logged in`,
        fix: 'log the WeCom accounts in on the PC running 轻简',
      };
    return { check: '轻简 bridge', verdict: 'ok', detail: `connected; accounts online: ${online.join(', ')}` };
  }
  if (ctx.daemon.healthy && q?.state === 'disabled')
    return { check: '轻简 bridge', verdict: 'skip', detail: 'the daemon runs --api-only (no bridge)' };
  // No daemon of ours: can we reach it at all? Connect and leave at once, so no message is taken from the daemon.
  const reached = await new Promise<string | null>((done) => {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    ws.once('open', () => {
      ws.close();
      done(null);
    });
    ws.once('error', (e) => done(e.message));
  });
  return reached === null
    ? { check: '轻简 bridge', verdict: 'ok', detail: `${url} accepts connections (accounts are known once the daemon runs)` }
    : {
        check: '轻简 bridge',
        verdict: 'fail',
        detail: `${url}: ${reached}`,
        fix: 'start 轻简 on the WeCom PC and check AICS_QINGJIAN_URL (--qingjian-url)',
      };
}

/** Any HTTP answer means reachable (a 404 or 405 to a GET is normal for a POST endpoint); no answer does not. */
async function httpAnswer(url: string, timeoutMs: number, headers: Record<string, string> = {}) {
  try {
    const res = await request(url, { method: 'GET', headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    await res.body.dump();
    return { status: res.statusCode, date: typeof res.headers.date === 'string' ? res.headers.date : null, error: null };
  } catch (error) {
    return { status: null, date: null, error: (error as Error).message };
  }
}

async function urlCheck(name: string, url: string | null, env: string, timeoutMs: number, daemon: DaemonStatus): Promise<CheckResult> {
  if (!url) {
    return name === 'callback URL'
      ? {
          check: name,
          verdict: 'ok',
          detail: `not set: callbacks go to the daemon's own sink (POST /api/task/callback${daemon.url ? ` at ${daemon.url}` : ''})`,
        }
      : { check: name, verdict: 'skip', detail: `${env} not set: 派单 orders are kept and logged` };
  }
  const r = await httpAnswer(url, timeoutMs);
  if (r.status === null)
    return {
      check: name,
      verdict: 'fail',
      detail: `${url}: ${r.error}`,
      fix: `check ${env} and that Tianwang is up and reachable from here`,
    };
  if (r.status >= 500)
    return {
      check: name,
      verdict: 'warn',
      detail: `${url} answers ${r.status}`,
      fix: 'Tianwang answers with a server error; deliveries are retried',
    };
  return { check: name, verdict: 'ok', detail: `${url} answers (HTTP ${r.status})` };
}

function tokenCheck(settings: Settings): CheckResult {
  if (isLoopbackHost(settings.host)) {
    return {
      check: 'token',
      verdict: 'ok',
      detail: `${settings.host} is loopback${settings.apiToken ? '; AICS_API_TOKEN is set too' : ''}`,
    };
  }
  if (!settings.apiToken)
    return {
      check: 'token',
      verdict: 'fail',
      detail: `${settings.host} is not loopback and AICS_API_TOKEN is not set`,
      fix: 'set AICS_API_TOKEN (a long random secret) or bind 127.0.0.1',
    };
  if (settings.apiToken.length < 24)
    return {
      check: 'token',
      verdict: 'warn',
      detail: `AICS_API_TOKEN is only ${settings.apiToken.length} characters`,
      fix: 'use 32 or more random characters',
    };
  return { check: 'token', verdict: 'ok', detail: `listening on ${settings.host} with AICS_API_TOKEN set` };
}

/** The zone must be valid; the clock is compared with the Date header of Tianwang (or our daemon), when one answers. */
async function clockCheck(settings: Settings, timeoutMs: number): Promise<CheckResult> {
  const now = Date.now();
  if (!isValidTimeZone(settings.timeZone)) {
    return {
      check: 'clock',
      verdict: 'fail',
      detail: `time zone ${settings.timeZone} is unknown`,
      fix: 'set AICS_TZ (or TZ) to an IANA zone such as Asia/Shanghai',
    };
  }
  const local = `${formatInZone(now, settings.timeZone)} ${settings.timeZone}`;
  const peer = settings.callbackUrl ?? settings.dispatchUrl;
  if (!peer) return { check: 'clock', verdict: 'ok', detail: `${local} (no remote clock to compare with)` };
  const r = await httpAnswer(peer, timeoutMs);
  if (!r.date) return { check: 'clock', verdict: 'ok', detail: `${local} (${new URL(peer).host} gave no Date to compare with)` };
  const skewS = Math.round((Date.parse(r.date) - now) / 1000);
  if (Math.abs(skewS) > 60) {
    return {
      check: 'clock',
      verdict: 'warn',
      detail: `${local}; ${new URL(peer).host}'s clock differs by ${skewS} s`,
      fix: 'enable time synchronisation (timedatectl set-ntp true): time_reach tasks fire by this clock',
    };
  }
  return { check: 'clock', verdict: 'ok', detail: `${local}; within ${Math.abs(skewS)} s of ${new URL(peer).host}` };
}

function logCheck(file: string): CheckResult {
  const path = resolve(file);
  const target = existsSync(path) ? path : nearestExisting(dirname(path));
  try {
    accessSync(target, constants.W_OK);
    return { check: 'log file', verdict: 'ok', detail: existsSync(path) ? `${path} is writable` : `${path} can be created` };
  } catch {
    return {
      check: 'log file',
      verdict: 'fail',
      detail: `${path} cannot be written (${target} is not writable)`,
      fix: "fix the folder's owner or permissions, or choose --log-file / AICS_LOG_FILE",
    };
  }
}

async function llmCheck(settings: Settings, timeoutMs: number): Promise<CheckResult> {
  if (!settings.llmBaseUrl || settings.agent.provider !== 'openai') {
    return { check: 'LLM', verdict: 'skip', detail: 'not configured: the agent uses its built-in rules' };
  }
  const base = settings.llmBaseUrl.replace(/\/+$/, '');
  const r = await httpAnswer(`${base}/models`, timeoutMs, settings.llmApiKey ? { authorization: `Bearer ${settings.llmApiKey}` } : {});
  if (r.status === null)
    return {
      check: 'LLM',
      verdict: 'fail',
      detail: `${base}: ${r.error}`,
      fix: 'check AICS_LLM_BASE_URL and that the model server runs (the agent falls back to its rules meanwhile)',
    };
  if (r.status === 401 || r.status === 403)
    return { check: 'LLM', verdict: 'fail', detail: `${base} refuses the key (HTTP ${r.status})`, fix: 'check AICS_LLM_API_KEY' };
  if (r.status >= 500) return { check: 'LLM', verdict: 'warn', detail: `${base} answers ${r.status}` };
  return { check: 'LLM', verdict: 'ok', detail: `${base} answers (HTTP ${r.status}); model ${settings.llmModel ?? 'default'}` };
}
