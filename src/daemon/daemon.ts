/**
 * The one composition root of `aics serve`: it builds the logger, the store, the HTTP API and (in the modes still
 * to come) the Qingjian bridge, trigger engine, agent and worker supervisor, and owns their start and stop order.
 *
 * Modes (DESIGN.md "Modes of aics serve"): `api-only` is built; `bridge` (the default customer-service mode) and
 * `tianwang` are accepted by the flags and refused here with one line until they are built. To add one, extend
 * BUILT_MODES and start its services in start() (after the store, before the HTTP server listens) and stop them in
 * stop() (after the HTTP server has drained, before the store closes).
 */
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { SERVICE_NAME, type DaemonModeName, type HealthData } from '../api/index.js';
import { isLoopbackHost, type Settings } from '../config.js';
import { AicsError, ExitCode, ValidationError } from '../errors.js';
import { openLog, type DaemonLog, type Logger, type TextSink } from '../log.js';
import { SqliteTaskStore } from '../store/index.js';
import { packageVersion } from '../version.js';
import { Housekeeping } from './housekeeping.js';
import { buildHttpServer } from './http/server.js';

export type DaemonMode = DaemonModeName;

export const BUILT_MODES: readonly DaemonMode[] = ['api-only'];

const MODE_DESCRIPTIONS: Record<DaemonMode, string> = {
  'api-only': 'HTTP API only',
  bridge: 'the customer-service mode (轻简 bridge + trigger engine + agent + HTTP API)',
  tianwang: 'the --tianwang mode (HTTP API + 轻简 bridge + trigger engine + agent)',
};

export interface DaemonOptions {
  settings: Settings;
  mode: DaemonMode;
  /** false with --no-agent; the agent never runs in api-only. */
  agent?: boolean;
  /** --multi: the number of workers; undefined for one process. */
  workers?: number;
  version?: string;
  /** Readable (or JSON) log lines also go here: process.stdout for `aics serve`. */
  terminal?: TextSink | null;
  terminalFormat?: 'pretty' | 'json';
  colour?: boolean;
  /** Milliseconds since the epoch; tests pass a fake clock. */
  clock?: () => number;
  housekeepingIntervalMs?: number;
  /** How long stop() lets in-flight requests finish before it closes their connections. */
  drainTimeoutMs?: number;
}

/** A start-up failure the operator can fix (port in use, unwritable folder): one line, exit 1. */
export class StartupError extends AicsError {
  constructor(message: string) {
    super(message, ExitCode.unexpected, 500);
  }
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Daemon {
  readonly mode: DaemonMode;
  readonly settings: Settings;
  readonly version: string;
  private state: State = 'new';
  private log: DaemonLog | null = null;
  private store: SqliteTaskStore | null = null;
  private http: FastifyInstance | null = null;
  private housekeeping: Housekeeping | null = null;
  private startedAtMs = 0;
  private boundUrl: string | null = null;
  private stopping: Promise<void> | null = null;
  private readonly clock: () => number;

  constructor(private readonly options: DaemonOptions) {
    this.mode = options.mode;
    this.settings = options.settings;
    this.version = options.version ?? packageVersion();
    this.clock = options.clock ?? Date.now;
    Daemon.assertStartable(options);
  }

  /** Refusals that need nothing opened: a mode not built yet, a public bind without a token. Exit 2. */
  static assertStartable(options: Pick<DaemonOptions, 'mode' | 'workers' | 'settings'>): void {
    if (!BUILT_MODES.includes(options.mode)) {
      throw new ValidationError(`${MODE_DESCRIPTIONS[options.mode]} is not built yet; run "aics serve --api-only"`, 'mode');
    }
    if (options.workers !== undefined) {
      throw new ValidationError('--multi (worker processes) is not built yet; run "aics serve --api-only"', '--multi');
    }
    const { host, apiToken } = options.settings;
    if (!isLoopbackHost(host) && !apiToken) {
      throw new ValidationError(
        `--host ${host} is not a loopback address: set AICS_API_TOKEN (a long random secret) so that the API requires it, or bind 127.0.0.1`,
        'AICS_API_TOKEN',
      );
    }
  }

  get logger(): Logger {
    if (!this.log) throw new Error('the daemon has not started');
    return this.log.logger;
  }

  /** http://127.0.0.1:6060 once listening. */
  get url(): string {
    if (!this.boundUrl) throw new Error('the daemon is not listening');
    return this.boundUrl;
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  async start(): Promise<{ url: string; host: string; port: number }> {
    if (this.state !== 'new') throw new Error(`a daemon starts once (it is ${this.state})`);
    this.state = 'starting';
    const { settings } = this;
    try {
      this.log = openLog({
        file: settings.logFile,
        level: settings.logLevel,
        terminal: this.options.terminal ?? null,
        terminalFormat: this.options.terminalFormat,
        timeZone: settings.timeZone,
        colour: this.options.colour,
      });
      this.store = SqliteTaskStore.open(settings.db, { timeZone: settings.timeZone, clock: this.clock });
      this.http = buildHttpServer({
        store: this.store,
        logger: this.log.logger,
        settings,
        health: () => this.health(),
        isStopping: () => this.state === 'stopping' || this.state === 'stopped',
      });
      const port = await this.listen(this.http);
      this.startedAtMs = this.clock();
      const shownHost = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
      this.boundUrl = `http://${shownHost}:${port}`;
      this.housekeeping = new Housekeeping({
        store: this.store,
        logger: this.log.logger,
        actor: `daemon:${hostname()}:${process.pid}`,
        intervalMs: this.options.housekeepingIntervalMs,
      });
      this.housekeeping.start();
      this.state = 'running';
      this.log.logger.info(
        {
          mode: this.mode,
          host: settings.host,
          port,
          db: this.store.file,
          log_file: settings.logFile,
          files_dir: settings.filesDir,
          auth: settings.apiToken ? 'bearer token' : 'none (loopback)',
          version: this.version,
        },
        `listening on ${this.boundUrl}`,
      );
      return { url: this.boundUrl, host: settings.host, port };
    } catch (error) {
      await this.release();
      this.state = 'stopped';
      throw error;
    }
  }

  /**
   * Stops accepting, lets in-flight requests finish (closing their connections after drainTimeoutMs), stops the
   * loops and closes the database, then the log. Safe to call twice: the second call waits for the first.
   */
  stop(reason = 'stop'): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.state === 'new' || this.state === 'stopped') {
      this.state = 'stopped';
      return Promise.resolve();
    }
    this.state = 'stopping';
    this.log?.logger.info({ reason }, `stopping (${reason}): finishing requests in flight`);
    this.stopping = this.release().then(() => {
      this.state = 'stopped';
    });
    return this.stopping;
  }

  /** Reopens the log file by name (SIGUSR2, after logrotate moved it away). */
  reopenLogs(): void {
    this.log?.reopen();
    this.log?.logger.info({ log_file: this.settings.logFile }, 'log file reopened');
  }

  /** Writes out buffered log lines now (before a forced exit). */
  flushLogs(): void {
    this.log?.flushSync();
  }

  async health(): Promise<HealthData> {
    const stats = await this.store!.stats();
    return {
      service: SERVICE_NAME,
      status: 'ok',
      version: this.version,
      mode: this.mode,
      // The agent never runs in api-only; the modes to come report whether it does.
      agent: this.mode !== 'api-only' && (this.options.agent ?? true),
      pid: process.pid,
      started_at: new Date(this.startedAtMs).toISOString(),
      uptime_s: Math.max(0, Math.floor((this.clock() - this.startedAtMs) / 1000)),
      // No bridge in api-only; the bridge mode reports its connection here.
      qingjian: { connected: false, state: 'disabled' },
      db: {
        file: stats.file,
        schema_version: stats.schema_version,
        file_bytes: stats.file_bytes,
        wal_bytes: stats.wal_bytes,
        total: stats.total,
        oldest_pending: stats.oldest_pending,
        next_due: stats.next_due,
      },
      tasks: stats.by_status,
      outbox_backlog: stats.outbox_backlog,
    };
  }

  private async listen(app: FastifyInstance): Promise<number> {
    const { host, port } = this.settings;
    try {
      await app.listen({ host, port });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const where = `${host}:${port}`;
      if (code === 'EADDRINUSE') {
        throw new StartupError(`port ${port} on ${host} is already in use (another aics?): find it with "ss -ltnp 'sport = :${port}'", or choose --port`);
      }
      if (code === 'EACCES') throw new StartupError(`not allowed to listen on ${where} (ports below 1024 need privileges): choose --port 6060`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
        throw new StartupError(`cannot listen on ${where}: ${host} is not an address of this machine (--host, AI_CS_HOST)`);
      }
      throw new StartupError(`cannot listen on ${where}: ${(error as Error).message}`);
    }
    const address = app.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  /** Stop order: HTTP (drain) → loops → store → log. Each part only if it was built. */
  private async release(): Promise<void> {
    if (this.http) {
      const http = this.http;
      const force = setTimeout(() => http.server.closeAllConnections(), this.options.drainTimeoutMs ?? 5000);
      try {
        await http.close();
      } finally {
        clearTimeout(force);
      }
    }
    await this.housekeeping?.stop();
    this.store?.close();
    if (this.log) {
      if (this.state === 'stopping') this.log.logger.info({ reason: 'stopped' }, 'stopped');
      await this.log.close();
    }
  }
}
