/** How the daemon of a pid file is, for `aics status`, `aics doctor` and `aics monitor`: its pid file and /api/health. */
import { AicsClient } from '../../api/client.js';
import type { HealthData, HealthMinimalData } from '../../api/types.js';
import { resolveSettings } from '../../config.js';
import { inspectPidFile, type StartRecord } from '../../daemon/control/pid-file.js';

export type HealthProbe =
  { ok: true; full: true; health: HealthData } | { ok: true; full: false; health: HealthMinimalData } | { ok: false; problem: string };

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
  /** The polite sender: its limits and the sends waiting for their turn. */
  sending: HealthData['sending'] | null;
  /** The daemons on its database (several daemons on one database), this one included. */
  daemons: NonNullable<HealthData['daemons']>;
  /** The worker processes of `serve --multi` (null in one process). */
  workers: HealthData['workers'] | null;
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
    sending: null,
    daemons: [],
    workers: null,
    warnings: [],
    last_error: null,
    details_hidden: false,
    start: record ? { argv: record.argv, cwd: record.cwd } : null,
  };
  if (found.state === 'absent') return { ...base, problem: `not running (no pid file ${pidFile})` };
  if (found.state === 'stale') return { ...base, problem: `not running (${found.why}; stale pid file ${pidFile})` };
  if (!current) {
    return {
      ...base,
      problem: `running (pid ${found.pid}) but not answering: it has not written its start record ${pidFile}.json (still starting?)`,
    };
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
    sending: h.sending ?? null,
    daemons: h.daemons ?? [],
    workers: h.workers ?? null,
    warnings: h.warnings ?? [],
    last_error: lastError.length ? lastError.join('; ') : null,
  };
}
