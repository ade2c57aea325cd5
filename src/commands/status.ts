import { BaseCommand, EXIT_CODES_HELP } from '../cli/base-command.js';
import { pidFileFlag } from '../cli/daemon-flags.js';
import { formatDuration, keyValues, localTime } from '../cli/format.js';
import { daemonStatus, type DaemonStatus } from '../cli/control/daemon-status.js';
import { pidFileFor } from '../daemon/control/pid-file.js';
import { ExitCode } from '../errors.js';
import type { PauseState } from '../store/index.js';

export default class Status extends BaseCommand<typeof Status> {
  static override summary =
    'Is the background daemon running and healthy: pid, uptime, mode, URL, 轻简 bridge, tasks, backlog, last error.';
  static override description = `Replaces the seed's "ps aux | grep run.py", "netstat -tlnp | grep 6060" and "curl …/api/health". Reads the pid
file (default db/task_db/aics.pid beside the database; --pid-file, AICS_PID_FILE) and its start record, checks that
the process is the aics daemon, and asks its GET /api/health at the URL it really listens on (also with --port 0),
with the token it was started with (AICS_API_TOKEN from its start record or .env, else this environment).

Exit 0 only when the daemon runs, answers its health check and can do all of its job; exit 8 when it runs but is
degraded: the 轻简 bridge is disconnected (since when, and its last error, are shown), tasks stay pending because no
daemon that can fire them runs (an --api-only daemon only receives), or 派单 orders are held because
TIANWANG_DISPATCH_URL is unset; each reason is a "warning" line. Exit 3 when it is not running, or runs but does not
answer (the message says which). Changes nothing: a stale pid file is reported, not removed.

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'How the daemon of the database in this folder is', command: '<%= config.bin %> status' },
    {
      description: 'For monitoring: JSON, and the exit code says up (0), degraded (8) or not (3)',
      command: '<%= config.bin %> status --json',
    },
    { description: 'From a script: restart it when it is not answering', command: '<%= config.bin %> status >/dev/null || aics restart' },
  ];
  static override flags = { 'pid-file': pidFileFlag };

  async run(): Promise<DaemonStatus & { paused: PauseState | null }> {
    const settings = this.settings({ pidFile: this.flags['pid-file'] });
    const status = await daemonStatus(pidFileFor(settings), { token: settings.apiToken });
    if (!status.healthy) process.exitCode = ExitCode.daemonUnreachable;
    else if (status.warnings.length) process.exitCode = ExitCode.degraded;
    this.say(describe(status, settings.timeZone));
    const paused = await this.pauseInForce();
    return { ...status, paused };
  }
}

function describe(s: DaemonStatus, zone: string): string {
  const head = s.healthy
    ? `aics is running: pid ${s.pid}${s.uptime_s !== null ? `, up ${formatDuration(s.uptime_s)}` : ''}`
    : `aics is ${s.problem}`;
  const bridge = s.qingjian
    ? s.qingjian.state === 'disabled'
      ? 'disabled (--api-only)'
      : `${s.qingjian.state}${s.qingjian.url ? ` ${s.qingjian.url}` : ''}${bridgeSince(s.qingjian, zone)}${accounts(s.qingjian.accounts)}`
    : undefined;
  const tasks = s.tasks
    ? Object.entries(s.tasks)
        .filter(([, n]) => n > 0)
        .map(([status, n]) => `${status} ${n}`)
        .join(', ') || 'none'
    : undefined;
  const rows: [string, string | number | undefined][] = [
    ['mode', s.mode ?? undefined],
    ['url', s.url ?? undefined],
    ['started', s.started_at && s.healthy ? localTime(s.started_at, zone) : undefined],
    ['version', s.version ?? undefined],
    ['bridge', bridge],
    ['tasks', tasks],
    [
      'outbox',
      s.outbox_backlog !== null ? `${s.outbox_backlog} callback${s.outbox_backlog === 1 ? '' : 's'} not yet delivered` : undefined,
    ],
    ['派单 held', s.dispatch_held ? `${s.dispatch_held} (TIANWANG_DISPATCH_URL is not set)` : undefined],
    ['sending', s.sending ? sendingLine(s.sending) : undefined],
    // One line per daemon only when several share the database: alone, the lines above say it all.
    ...(s.daemons.length > 1 ? s.daemons.map((d): [string, string] => ['daemon', daemonLine(d, zone)]) : []),
    ...(s.workers ?? []).map((w): [string, string] => [`worker ${w.index}`, workerLine(w, zone)]),
    ...s.warnings.map((w): [string, string] => ['warning', w]),
    ['last error', s.healthy && !s.details_hidden ? (s.last_error ?? 'none') : undefined],
    ['details', s.details_hidden ? 'hidden: the daemon requires AICS_API_TOKEN, and this one is missing or wrong' : undefined],
    ['log file', s.log_file ?? undefined],
    ['pid file', s.pid_file],
    [
      'started as',
      !s.running && s.start ? `aics serve ${s.start.argv.join(' ')} (in ${s.start.cwd}); "aics restart" starts it so` : undefined,
    ],
  ];
  return `${head}\n${keyValues(rows, '  ')}`;
}

/** " since 2026-… (last error: …)" for a bridge that is not connected. */
function bridgeSince(q: NonNullable<DaemonStatus['qingjian']>, zone: string): string {
  if (q.connected || typeof q.since !== 'number') return '';
  return ` since ${localTime(new Date(q.since).toISOString(), zone)}${q.last_error ? ` (last error: ${String(q.last_error)})` : ''}`;
}

function accounts(list: unknown): string {
  if (!list || typeof list !== 'object') return '';
  const items = Object.values(list as Record<string, { acc_id?: string; status?: string; last_known?: string }>).map(
    (a) => `${a.acc_id} ${a.status}${a.last_known ? ` (last known ${a.last_known})` : ''}`,
  );
  return items.length ? ` (accounts: ${items.join(', ')})` : '';
}

/** "daemon:pc2:4242 alive (this one), accounts wx_a, wx_b, last beat 2026-… at http://10.0.0.6:6060". */
function daemonLine(d: DaemonStatus['daemons'][number], zone: string): string {
  const accounts = d.accounts.length ? `accounts ${d.accounts.join(', ')}` : 'no accounts';
  return `${d.id} ${d.state}${d.self ? ' (this one)' : ''}, ${accounts}, last beat ${localTime(d.heartbeat_at, zone)}${d.api_url ? ` at ${d.api_url}` : ''}`;
}

/** "12 waiting for their turn; at most 30 a minute per account, 12 per customer (AICS_SEND_RATE…)". */
function sendingLine(s: NonNullable<DaemonStatus['sending']>): string {
  const rate = (n: number, what: string) => (n > 0 ? `${n} a minute per ${what}` : `no limit per ${what}`);
  const limits = `${rate(s.rate_per_account, 'account')}, ${rate(s.rate_per_customer, 'customer')} (AICS_SEND_RATE, AICS_SEND_RATE_CUSTOMER)`;
  return s.waiting ? `${s.waiting} waiting for their turn; ${limits}` : limits;
}

/** "pid 4242, up since …, 310 customers, 0 queued, 1 restart, 88 MB" (serve --multi), or why it is down. */
function workerLine(w: NonNullable<DaemonStatus['workers']>[number], zone: string): string {
  const restarts = `${w.restarts} restart${w.restarts === 1 ? '' : 's'}`;
  const queued = `${w.customers} customer${w.customers === 1 ? '' : 's'}, ${w.queue} message${w.queue === 1 ? '' : 's'} queued`;
  if (w.pid === null || w.up_since === null) return `down, restarting (${restarts}); ${queued}`;
  const rss = w.rss_bytes !== null ? `, ${Math.round(w.rss_bytes / 1e6)} MB` : '';
  return `pid ${w.pid}, up since ${localTime(w.up_since, zone)}, ${queued}, ${restarts}${rss}`;
}
