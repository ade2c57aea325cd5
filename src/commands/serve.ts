import * as Flags from '@oclif/core/flags';
import { availableParallelism } from 'node:os';
import { BaseCommand, EXIT_CODES_HELP } from '../cli/base-command.js';
import { pidFileFlag } from '../cli/daemon-flags.js';
import { startDetached } from '../cli/control/start-detached.js';
import { aicsEnvironment, DETACHED_ENV, pidFileFor, recordedServeArgs } from '../daemon/control/pid-file.js';
import { Daemon, type DaemonMode } from '../daemon/daemon.js';
import { runUntilSignalled } from '../daemon/signals.js';

export default class Serve extends BaseCommand<typeof Serve> {
  static override summary = 'Run the daemon: the HTTP API for Tianwang, the 轻简 bridge, the trigger engine and the AI agent.';
  static override description = `The seed's "python3 run.py" with the same flags. --api-only runs the HTTP API (POST /api/task/receive,
GET /api/task/status/:task_id, POST /api/task/cancel, GET /api/task/list, GET /api/health, POST /api/task/callback)
and expires overdue tasks; it arms nothing, so received tasks stay pending (GET /api/health and "aics status" warn)
until a daemon with a 轻简 bridge runs on the database. The default customer-service mode and --tianwang add the 轻简
bridge, the trigger engine and the AI agent.

--multi runs the seed's 多进程 mode: this process keeps the HTTP API, the 轻简 connection, the callbacks and the
pace of the sends, and --workers N processes (default: the CPU count) fire the tasks and run the agent, each for the
customers md5(acc_id:from_id) mod N gives it, so one busy or crashed worker delays only its own customers. A worker
that exits is restarted (log "Worker <n> 退出"; its customers' messages wait for it, none is lost); "aics reload"
(SIGHUP) replaces them one at a time. --multi needs a SQLite database file (not PostgreSQL, for now) and a bridge
(not --api-only).

The server binds 127.0.0.1 by default. Any other --host needs AICS_API_TOKEN: every request must then carry
"Authorization: Bearer <token>" (GET /api/health answers a minimal body without it). Set AICS_API_TOKEN on loopback
too to require it there.

Logs: JSON lines to --log-file (default logs/aics.log; "aics logs grep" reads them), readable lines on stdout
(JSON with --json). The first line says "listening on http://HOST:PORT" (the real port, also with --port 0).
In the background: --detach starts the same daemon detached from the terminal (what "nohup … &" did), its
output appended to the log file, and returns once it answers GET /api/health, printing its pid, URL and log file;
if it does not start, its own error line and exit code. It writes a pid file (default db/task_db/aics.pid, beside
the database; --pid-file, AICS_PID_FILE) and, beside it, a start record (aics.pid.json: arguments, working folder,
aics environment, URL, log file) that "aics stop", "aics restart" and "aics status" use. A foreground daemon
writes the same files (one daemon per database: status, monitor and stop find it too). A daemon already running for
that pid file is refused, detached or in the foreground (exit 5, naming its pid); a stale pid file is replaced with a
warning. The pid file is removed when the daemon exits.

Signals: SIGTERM or SIGINT stops accepting, finishes requests in flight, closes the database and exits 0; a second one
exits at once. SIGUSR2 reopens the log file (logrotate).

The default mode and --tianwang run the AI agent after the trigger engine (--no-agent: without it): the built-in
rules and FAQ (AICS_FAQ_FILE), or an OpenAI-compatible endpoint (AICS_LLM_BASE_URL); see docs/agent.md.

Settings: flags > environment (AI_CS_HOST, AI_CS_PORT / HTTP_API_PORT, AICS_DB, AICS_LOG_FILE, AICS_LOG_LEVEL,
AICS_API_TOKEN, AICS_FILES_DIR, TIANWANG_CALLBACK_URL, TIANWANG_DISPATCH_URL, AICS_AGENT_*, AICS_LLM_*) > .env /
.env.tianwang in the working folder > defaults.

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'The HTTP API only (the seed\'s "天网简化版"), on 127.0.0.1:6060', command: '<%= config.bin %> serve --api-only' },
    {
      description: 'Four worker processes for the customers (the seed\'s 多进程 mode); "aics reload" restarts them',
      command: '<%= config.bin %> serve --multi --workers 4',
    },
    { description: 'Another port', command: '<%= config.bin %> serve --api-only --port 8080' },
    {
      description: 'Reachable from other machines: a token is required',
      command: 'AICS_API_TOKEN=$(openssl rand -hex 32) <%= config.bin %> serve --api-only --host 0.0.0.0',
    },
    {
      description: 'Database and log file elsewhere',
      command: '<%= config.bin %> serve --api-only --db /srv/aics/tasks.db --log-file /var/log/aics/aics.log',
    },
    {
      description: 'In the background (instead of nohup … &): returns once it answers; then aics status / stop / restart',
      command: '<%= config.bin %> serve --detach',
    },
    {
      description: 'In the foreground under systemd, with a pid file that aics status reads',
      command: '<%= config.bin %> serve --api-only --pid-file /opt/aics/db/task_db/aics.pid',
    },
  ];
  static override flags = {
    'api-only': Flags.boolean({
      summary: 'Run only the HTTP API and expiry (no 轻简 bridge, no agent; tasks stay pending).',
      exclusive: ['tianwang'],
    }),
    tianwang: Flags.boolean({ summary: 'Everything: HTTP API + 轻简 bridge + trigger engine + agent.' }),
    agent: Flags.boolean({ summary: 'Run the AI agent (--no-agent: without it).', allowNo: true, default: true }),
    multi: Flags.boolean({ summary: 'Worker processes for the customers, sharded by md5(acc_id:from_id) mod N (SQLite only, for now).' }),
    workers: Flags.integer({ summary: 'Number of workers with --multi (default: the CPU count).', min: 1, max: 64, dependsOn: ['multi'] }),
    port: Flags.integer({
      char: 'p',
      summary: 'HTTP port (env AI_CS_PORT, HTTP_API_PORT; default 6060; 0 = any free port).',
      min: 0,
      max: 65535,
    }),
    host: Flags.string({ summary: 'Address to bind (env AI_CS_HOST; default 127.0.0.1). Not loopback: AICS_API_TOKEN is required.' }),
    'log-file': Flags.string({ summary: 'JSON log file (env AICS_LOG_FILE; default logs/aics.log).', helpValue: 'FILE' }),
    'qingjian-url': Flags.string({
      summary: '轻简 bridge WebSocket (env AICS_QINGJIAN_URL; default ws://127.0.0.1:9528).',
      helpValue: 'URL',
    }),
    'callback-url': Flags.string({ summary: 'Where task callbacks go (env TIANWANG_CALLBACK_URL).', helpValue: 'URL' }),
    'send-rate': Flags.integer({
      summary: 'Sends a minute on one WeCom account, evenly spaced (env AICS_SEND_RATE; default 30; 0 = no limit).',
      min: 0,
      max: 60_000,
      helpValue: 'N',
    }),
    'send-rate-customer': Flags.integer({
      summary: 'Sends a minute to one customer, 3 back to back (env AICS_SEND_RATE_CUSTOMER; default 12; 0 = no limit).',
      min: 0,
      max: 60_000,
      helpValue: 'N',
    }),
    'db-pool': Flags.integer({
      summary: 'Connections to a PostgreSQL store (env AICS_DB_POOL; default 10).',
      min: 1,
      max: 1000,
      helpValue: 'N',
    }),
    'db-sync': Flags.string({
      summary: 'normal: a commit survives a crash of aics (default); full: fsync each commit, it survives a power loss (env AICS_DB_SYNC).',
      options: ['normal', 'full'],
    }),
    detach: Flags.boolean({ summary: 'Run in the background: return once the daemon answers, with its pid, URL and log file.' }),
    'pid-file': pidFileFlag,
  };

  async run(): Promise<DetachedDaemon | void> {
    const { flags } = this;
    const mode: DaemonMode = flags['api-only'] ? 'api-only' : flags.tianwang ? 'tianwang' : 'bridge';
    const settings = this.settings({
      host: flags.host,
      port: flags.port,
      logFile: flags['log-file'],
      qingjianUrl: flags['qingjian-url'],
      callbackUrl: flags['callback-url'],
      pidFile: flags['pid-file'],
      sendRate: flags['send-rate'],
      sendRateCustomer: flags['send-rate-customer'],
      dbPool: flags['db-pool'],
      dbSync: flags['db-sync'] as 'normal' | 'full' | undefined,
    });
    const workers = flags.multi ? (flags.workers ?? availableParallelism()) : undefined;
    // The start record keeps the arguments without --detach, --pid-file and --json.
    const argv = recordedServeArgs(this.argv);
    if (flags.detach) {
      Daemon.assertStartable({ mode, workers, settings }); // refused here rather than in the log file
      const started = await startDetached({
        argv,
        cwd: process.cwd(),
        env: process.env,
        pidFile: pidFileFor(settings),
        logFile: settings.logFile,
        token: settings.apiToken,
      });
      if (started.replaced) this.warnLine(`${started.replaced}; replaced it`);
      this.say(`aics serve is running in the background: pid ${started.pid}, ${started.url}, log ${started.log_file}`);
      return { pid: started.pid, url: started.url, mode, log_file: started.log_file, pid_file: started.pid_file };
    }
    const daemon = new Daemon({
      settings,
      mode,
      agent: flags.agent && mode !== 'api-only',
      workers,
      version: this.config.version,
      terminal: process.stdout,
      terminalFormat: this.jsonEnabled() ? 'json' : 'pretty',
      colour: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
      // Always held, also in the foreground: one daemon per database, and status / monitor / stop find this one.
      pidFile: {
        path: pidFileFor(settings),
        argv,
        cwd: process.cwd(),
        env: aicsEnvironment(process.env),
        detached: process.env[DETACHED_ENV] === '1',
      },
    });
    // Signals are trapped before the start: a SIGTERM right after "listening on" must drain, not kill.
    const start = daemon.start();
    const signalled = runUntilSignalled(daemon, start);
    await start;
    await signalled;
    // Stopped: the database is closed and the pid file gone. Whatever a peer still holds open (a slow LLM or callback
    // receiver) must not keep the process alive after that.
    setTimeout(() => process.exit(0), 1000).unref();
  }
}

/** What `serve --detach` prints with --json. */
export interface DetachedDaemon {
  pid: number;
  url: string;
  mode: DaemonMode;
  log_file: string;
  pid_file: string;
}
