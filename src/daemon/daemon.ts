/**
 * The one composition root of `aics serve`: it builds the logger, the store, the HTTP API, the scheduler and the
 * outbox sender, and — in the bridge modes — the 轻简 bridge, the action runner and the trigger engine; it owns
 * their start and stop order; in the bridge modes, unless --no-agent, the AI agent answers customers after the
 * trigger engine has seen each message. (The --multi supervisor plugs in here when it is built.)
 *
 * Modes (DESIGN.md "Modes of aics serve"):
 *   api-only   HTTP API, arming and expiry, callbacks; no bridge: another daemon on the same file fires tasks
 *   bridge     (the default) bridge + trigger engine + scheduler firing time tasks + HTTP API + callbacks
 *   tianwang   the same as bridge: everything
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SERVICE_NAME, type DaemonModeName, type HealthData } from '../api/index.js';
import { clientHost, isLoopbackHost, type Settings } from '../config.js';
import { AicsError, DatabaseError, ExitCode, ValidationError, loggedErrors } from '../errors.js';
import type { BackoffPolicy } from './engine/backoff.js';
import { openLog, type DaemonLog, type Logger, type TextSink } from '../log.js';
import { ensureDatabaseFolder, openStore, translateSqliteError, type Store } from '../store/index.js';
import { packageVersion } from '../version.js';
import { acquirePidFile, defaultPidFile, processStartTicks, removePidFile, writeStartRecord } from './control/pid-file.js';
import { ActionRunner } from './engine/action-runner.js';
import { Scheduler } from './engine/scheduler.js';
import { TriggerEngine } from './engine/trigger-engine.js';
import { buildHttpServer } from './http/server.js';
import { OutboxSender } from './outbox/outbox-sender.js';
import { ownSinkHeaders } from './outbox/own-sink.js';
import type { MessageSender } from './ports.js';
import { IntegrityWatch } from './integrity-watch.js';
import { Retention } from './retention.js';
import { bridgeHealth, healthWarnings } from './health-warnings.js';
import { buildAgent, type ConversationManager } from './agent/index.js';
import { QingjianBridge } from './qingjian/index.js';
import { PauseGate } from './ops/pause-gate.js';
import { PoliteSender } from './ops/polite-sender.js';
import { DaemonMetrics } from './ops/metrics.js';
import { SystemdNotifier } from './ops/systemd-notify.js';

export type DaemonMode = DaemonModeName;

export const BUILT_MODES: readonly DaemonMode[] = ['api-only', 'bridge', 'tianwang'];

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
  /** How often the scheduler looks for tasks written by other processes (ms; default 1000). */
  pollMs?: number;
  /** A claimed task's lease: renewed while its action runs; another daemon retries it once it lapses. */
  leaseMs?: number;
  /** Tests shorten the bridge's reconnect and the retries' backoff. */
  bridgeOptions?: Partial<ConstructorParameters<typeof QingjianBridge>[0]>;
  actionBackoff?: BackoffPolicy;
  deliveryBackoff?: BackoffPolicy;
  /** How long stop() lets in-flight requests finish before it closes their connections. */
  drainTimeoutMs?: number;
  /** Between checks of the database file while running (default 5 minutes; see integrity-watch.ts). */
  integrityCheckMs?: number;
  /**
   * `serve --pid-file` (and every detached daemon): the pid file is claimed before anything is opened (a daemon
   * already running for it is refused, exit 5; a stale one replaced), the start record is written beside it once the
   * daemon listens, and the pid file is removed when it stops. `argv`, `cwd` and `env` go into the start record so
   * that `aics restart` can start it again the same way.
   */
  pidFile?: { path: string; argv: string[]; cwd: string; env: Record<string, string>; detached: boolean };
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
  private store: Store | null = null;
  private http: FastifyInstance | null = null;
  private scheduler: Scheduler | null = null;
  private outbox: OutboxSender | null = null;
  private retention: Retention | null = null;
  private integrity: IntegrityWatch | null = null;
  private bridge: QingjianBridge | null = null;
  private engine: TriggerEngine | null = null;
  private agent: ConversationManager | null = null;
  private pause: PauseGate | null = null;
  private polite: PoliteSender | null = null;
  private readonly metrics = new DaemonMetrics();
  /** Under systemd (Type=notify): READY, STOPPING and the watchdog; a no-op elsewhere. */
  private notifier: SystemdNotifier | null = null;
  private startedAtMs = 0;
  private boundUrl: string | null = null;
  private stopping: Promise<void> | null = null;
  private pidFileHeld: string | null = null;
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
      throw new ValidationError('--multi (worker processes) is not built yet; run one process: "aics serve" (or --api-only)', '--multi');
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

  /** The agent runs in the bridge modes unless --no-agent. */
  private get agentEnabled(): boolean {
    return this.mode !== 'api-only' && (this.options.agent ?? true);
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
        observe: (fields, msg) => this.metrics.observe(fields, msg),
      });
      const logger = this.log.logger;
      this.notifier = new SystemdNotifier({ logger });
      if (this.options.pidFile) {
        // The pid file lives beside the database by default: a folder that cannot be made is the database's problem.
        ensureDatabaseFolder(settings.db);
        const { replaced } = takePidFile(this.options.pidFile.path, settings.db);
        this.pidFileHeld = this.options.pidFile.path;
        if (replaced) logger.warn({ pid_file: this.pidFileHeld }, `${replaced}; replaced it`);
      }
      const store = await openStore(settings.db, { timeZone: settings.timeZone, clock: this.clock });
      this.store = store;
      // A damaged file is refused before anything runs on it: one line, exit 7, and the file left as it is.
      const integrity = (await store.maintenance?.check({ quick: true })) ?? { ok: true, problems: [] };
      if (!integrity.ok) {
        throw new DatabaseError(
          `database ${store.file} is damaged (${integrity.problems.slice(0, 3).join('; ')}): run "aics db check", then restore the latest "aics db backup" copy; nothing was deleted`,
          'damaged',
          integrity.problems.join('; '),
        );
      }
      // aics pause: read before anything can fire; sends are held and the scheduler idles while it is on.
      const pause = new PauseGate({ store, logger, pollMs: this.options.pollMs });
      await pause.start();
      this.pause = pause;
      const owner = `daemon:${hostname()}:${process.pid}`;
      const leaseMs = this.options.leaseMs ?? 15_000;
      let runner: ActionRunner | null = null;
      if (this.mode !== 'api-only') {
        const bridge = new QingjianBridge({ url: settings.qingjianUrl, logger, ...this.options.bridgeOptions });
        // Tasks and the agent send through the bridge alike, each waiting for its turn on its account and customer.
        this.polite = new PoliteSender({ rates: { perAccount: settings.sendRate, perCustomer: settings.sendRateCustomer }, logger, clock: this.clock });
        const sender: MessageSender = this.polite.wrap(pause.wrap(
          this.metrics.timeSends({
            sendText: (c, r) => bridge.sendText(c, r),
            sendFile: (c, r) => bridge.sendFile(c, r),
            accounts: () => onlineAccounts(bridge),
            isConnected: () => bridge.isConnected,
            onConnected: (listener) => bridge.onStateChange((state) => state === 'connected' && listener()),
          }),
        ));
        runner = new ActionRunner({
          store,
          sender,
          logger,
          clock: this.clock,
          owner,
          leaseMs,
          filesDir: settings.filesDir,
          backoff: this.options.actionBackoff,
        });
        const engine = new TriggerEngine({ store, runner, logger, owner, leaseMs, scopeAnyCustomer: settings.scopeAnyCustomer });
        if (this.agentEnabled) {
          const agent = buildAgent({ settings, store, sender, logger, clock: this.clock });
          this.agent = agent.conversations;
          logger.info({ provider: agent.provider, faq: agent.faq.file }, `agent: on (${agent.provider})`);
          if (!settings.dispatchUrl) {
            logger.warn({}, 'TIANWANG_DISPATCH_URL is not set: 派单 orders will be held in the outbox until it is ("aics status" counts them)');
          }
        }
        // The bridge acks an event once this settles: after the message is recorded and its tasks claimed, and the
        // agent has logged it (its answer comes later, after the burst window).
        bridge.onMessage(async (message) => {
          const handled = await engine.accept(message);
          await this.agent?.accept(message, handled);
        });
        this.bridge = bridge;
        this.engine = engine;
      }
      const bridge = this.bridge;
      this.scheduler = new Scheduler({
        store,
        logger,
        clock: this.clock,
        owner,
        leaseMs,
        runner,
        pollMs: this.options.pollMs,
        paused: () => pause.paused !== null,
        // A 轻简 outage fails nothing: due tasks wait for the bridge and fire as soon as it is back.
        canSend: bridge ? () => bridge.isConnected : undefined,
      });
      bridge?.onStateChange((state) => {
        if (state === 'connected') this.scheduler?.poke();
      });
      this.http = buildHttpServer({
        store,
        logger,
        settings,
        health: (paging) => this.health(paging),
        isStopping: () => this.state === 'stopping' || this.state === 'stopped',
        onTaskReceived: () => this.scheduler?.poke(),
        metrics: () => this.metrics.render(),
      });
      this.metrics.attach({ store, bridge: () => this.bridge?.state() ?? null, paused: () => pause.paused !== null, clock: this.clock });
      const port = await this.listen(this.http);
      this.startedAtMs = this.clock();
      const shownHost = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
      this.boundUrl = `http://${shownHost}:${port}`;
      // By default callbacks go to this daemon's own sink, at the address it actually bound.
      const callbackUrl = settings.callbackUrl ?? `http://${clientHost(settings.host)}:${port}/api/task/callback`;
      // Handoff notices (转接人工) go to AICS_HANDOFF_URL, else to the callback URL (an event field tells them apart).
      const urls = { callback: callbackUrl, dispatch: settings.dispatchUrl, handoff: settings.agent.handoffUrl ?? callbackUrl };
      this.outbox = new OutboxSender({
        store,
        logger,
        clock: this.clock,
        urls,
        secret: settings.callbackSecret,
        headers: ownSinkHeaders(urls, settings.callbackUrl === null ? callbackUrl : null, settings.apiToken),
        backoff: this.options.deliveryBackoff,
      });
      this.retention = new Retention({ store, logger, clock: this.clock, retentionDays: settings.retentionDays });
      this.integrity = new IntegrityWatch({ store, logger, everyMs: this.options.integrityCheckMs });
      this.scheduler.start();
      this.integrity.start();
      this.outbox.start();
      this.retention.start();
      this.bridge?.start();
      // Answers a previous daemon could not send go out once the bridge is up.
      this.agent?.resume();
      this.state = 'running';
      this.writeStartRecord(port);
      void this.notifier?.ready(`listening on ${this.boundUrl}`);
      this.log.logger.info(
        {
          mode: this.mode,
          host: settings.host,
          port,
          db: store.file,
          log_file: settings.logFile,
          files_dir: settings.filesDir,
          qingjian: this.bridge ? settings.qingjianUrl : 'disabled',
          agent: this.agent ? settings.agent.provider : 'off',
          send_rate: this.polite ? `${settings.sendRate || 'unlimited'}/min per account, ${settings.sendRateCustomer || 'unlimited'}/min per customer` : undefined,
          auth: settings.apiToken ? 'bearer token' : 'none (loopback)',
          pid_file: this.pidFileHeld ?? undefined,
          version: this.version,
        },
        `listening on ${this.boundUrl}`,
      );
      return { url: this.boundUrl, host: settings.host, port };
    } catch (error) {
      // A start-up failure is a log line too (JSON in the file), so "aics logs grep --level error" finds it.
      if (this.log && error instanceof Error) {
        this.log.logger.error({ start_failed: true, exit_code: error instanceof AicsError ? error.exitCode : ExitCode.unexpected }, error.message);
        loggedErrors.add(error);
      }
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
    void this.notifier?.stopping(`stopping (${reason})`);
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

  /** Removes the pid file now (a forced exit, which skips stop()); a no-op without one. */
  releasePidFile(): void {
    if (this.pidFileHeld) removePidFile(this.pidFileHeld, process.pid);
    this.pidFileHeld = null;
  }

  private writeStartRecord(port: number): void {
    const p = this.options.pidFile;
    if (!p) return;
    writeStartRecord(p.path, {
      pid: process.pid,
      argv: p.argv,
      cwd: p.cwd,
      env: p.env,
      started_at: new Date(this.startedAtMs).toISOString(),
      url: `http://${clientHost(this.settings.host)}:${port}`,
      log_file: this.settings.logFile,
      mode: this.mode,
      db: this.settings.db,
      proc_start: processStartTicks(process.pid),
      detached: p.detached,
    });
  }

  /** Writes out buffered log lines now (before a forced exit). */
  flushLogs(): void {
    this.log?.flushSync();
  }

  async health(paging?: { accountsPage?: number; accountsPageSize?: number }): Promise<HealthData> {
    const stats = await this.store!.tasks.stats();
    const sizes = await this.store!.maintenance?.fileSizes();
    // 派单 without TIANWANG_DISPATCH_URL is held on purpose, not a callback that failed: counted on its own.
    const dispatchOff = !this.settings.dispatchUrl;
    const backlog = await this.store!.outbox.backlog(dispatchOff ? ['callback', 'handoff'] : undefined);
    const dispatchHeld = dispatchOff ? (await this.store!.outbox.backlog(['dispatch'])).count : 0;
    const qingjian = this.bridge ? bridgeHealth(this.bridge.state(paging)) : { connected: false, state: 'disabled' as const };
    const warnings = healthWarnings({
      nowMs: this.clock(),
      mode: this.mode,
      qingjian,
      pending: stats.by_status.pending,
      oldestPending: stats.oldest_pending,
      dispatchHeld,
    });
    const problems = this.integrity?.problems() ?? [];
    return {
      service: SERVICE_NAME,
      status: problems.length ? 'degraded' : 'ok',
      ...(problems.length ? { problems } : {}),
      version: this.version,
      mode: this.mode,
      agent: this.agent !== null,
      pid: process.pid,
      started_at: new Date(this.startedAtMs).toISOString(),
      uptime_s: Math.max(0, Math.floor((this.clock() - this.startedAtMs) / 1000)),
      qingjian,
      db: {
        file: stats.file,
        schema_version: stats.schema_version,
        ...sizes,
        total: stats.total,
        oldest_pending: stats.oldest_pending,
        next_due: stats.next_due,
      },
      tasks: stats.by_status,
      outbox_backlog: backlog.count,
      outbox: backlog,
      paused: this.pause?.paused ?? null,
      dispatch_held: dispatchHeld,
      // A database problem found by the periodic check is a warning too, so that `aics status` exits 8 for it.
      warnings: [...problems, ...warnings],
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
    // No new firings; actions under way finish (their sends are acked or time out), then the bridge closes.
    // Bursts still waiting are answered now; turns under way finish (bounded like the rest).
    // Sends held by a pause, or waiting for their turn (AICS_SEND_RATE), are given back (repeated with the same req_id
    // at the next start) rather than waited for.
    await this.pause?.stop();
    this.polite?.close();
    const settle = Promise.all([this.scheduler?.stop(), this.engine?.drain(), this.agent?.stop()]);
    await Promise.race([settle, delay(this.options.drainTimeoutMs ?? 5000)]);
    // Answers still waiting (for their pacing slot, for the bridge) stop waiting: they stay stored and go out at the
    // next start, and no timer of theirs keeps the process alive after "stopped".
    if (this.agent) {
      this.agent.halt();
      await Promise.race([this.agent.drain(), delay(1000)]);
    }
    await this.bridge?.stop();
    await this.outbox?.stop();
    await this.retention?.stop();
    await this.integrity?.stop();
    await this.store?.close();
    await this.notifier?.close();
    if (this.log) {
      if (this.state === 'stopping') this.log.logger.info({ reason: 'stopped' }, 'stopped');
      await this.log.close();
    }
    // Last: while the pid file is there, `aics stop` and `aics status` see the daemon still finishing.
    this.releasePidFile();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The pid file; one that cannot be written beside the database (a read-only mount) is the database's problem. */
function takePidFile(pidFile: string, db: string): { replaced: string | null } {
  try {
    return acquirePidFile(pidFile);
  } catch (error) {
    if (error instanceof AicsError || pidFile !== defaultPidFile(db)) throw error;
    throw translateSqliteError(error, resolve(db));
  }
}

function onlineAccounts(bridge: QingjianBridge): string[] {
  return bridge.onlineAccounts();
}
