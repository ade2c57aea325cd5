/**
 * The one composition root of `aics serve`: it runs the start-up steps in order, each starting one part and
 * registering its own stop (lifecycle.ts); stop() runs those stops in reverse. The parts are assembled in
 * src/daemon/assembly: the front (the 轻简 bridge socket, the HTTP API) and the worker (pause gate, action runner,
 * trigger engine, agent, scheduler; then the outbox sender, retention and the integrity watch), so that the coming
 * `serve --multi` can run them in different processes.
 *
 * Modes (DESIGN.md "Modes of aics serve"):
 *   api-only   HTTP API, arming and expiry, callbacks; no bridge: another daemon on the same file fires tasks
 *   bridge     (the default) bridge + trigger engine + scheduler firing time tasks + HTTP API + callbacks
 *   tianwang   the same as bridge: everything
 *
 * Stop order (what the steps' reverse gives): the HTTP API drains; the worker gives back sends held by a pause and
 * lets the scheduler, the engine and the agent settle (bounded by drainTimeoutMs), then halts the agent's waiting
 * answers; the bridge closes; the outbox, retention and integrity watch stop; the WAL checkpointer's thread ends
 * (SQLite); the store closes; the systemd
 * notifier; the log ("stopped"); the pid file last.
 */
import type { HealthData } from '../api/index.js';
import type { Settings } from '../config.js';
import { AicsError, ExitCode, loggedErrors } from '../errors.js';
import { openLog, type DaemonLog, type Logger } from '../log.js';
import { ensureDatabaseFolder, type Store } from '../store/index.js';
import { packageVersion } from '../version.js';
import { removePidFile } from './control/pid-file.js';
import { buildBridge, listenHttp, StartupError } from './assembly/front.js';
import { buildHousekeeping } from './assembly/housekeeping.js';
import { daemonOwner } from './owner.js';
import { FleetMember } from './fleet/fleet-member.js';
import { startWorkers, type Workers } from './assembly/workers.js';
import { daemonHealth, type HealthSources } from './daemon-health.js';
import { assertStartable, type DaemonMode, type DaemonOptions } from './daemon-options.js';
import { Releasers } from './lifecycle.js';
import { DaemonMetrics } from './ops/metrics.js';
import { openCheckedStore, startBackgroundCheckpoints, takePidFile, writeDaemonStartRecord } from './startup-files.js';
import { SystemdNotifier } from './ops/systemd-notify.js';

export { StartupError };

export { BUILT_MODES, type DaemonMode, type DaemonOptions } from './daemon-options.js';

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Daemon {
  readonly mode: DaemonMode;
  readonly settings: Settings;
  readonly version: string;
  private state: State = 'new';
  private log: DaemonLog | null = null;
  /** The daemon's store once open, null before (tests break it under a running server). */
  get storeInUse(): Store | null {
    return this.store;
  }
  private store: Store | null = null;
  private workers: Workers | null = null;
  /** What /api/health reads; filled in as the steps start. */
  private healthSources: HealthSources | null = null;
  private readonly metrics = new DaemonMetrics();
  /** Under systemd (Type=notify): READY, STOPPING and the watchdog; a no-op elsewhere. */
  private notifier: SystemdNotifier | null = null;
  private readonly releasers = new Releasers((step, error) => this.reportStopError(step, error));
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
    assertStartable(options);
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

  /** The registered stops, in the order stop() runs them (for tests and for the reader). */
  get stopOrder(): string[] {
    return this.releasers.order;
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  async start(): Promise<{ url: string; host: string; port: number }> {
    if (this.state !== 'new') throw new Error(`a daemon starts once (it is ${this.state})`);
    this.state = 'starting';
    const { settings, options, releasers, clock } = this;
    const drainMs = options.drainTimeoutMs ?? 5000;
    try {
      const logger = this.openLogAndPidFile();
      const notifier = await releasers.step(
        'systemd notifier',
        () => new SystemdNotifier({ logger }),
        (n) => n.close(),
      );
      this.notifier = notifier;
      const store = await releasers.step(
        'store',
        () => openCheckedStore(settings, clock),
        (s) => s.close(),
      );
      this.store = store;
      await releasers.step(
        'WAL checkpointer',
        () => startBackgroundCheckpoints(store, logger),
        (c) => c?.stop(),
      );
      // Built once the HTTP API has bound its port; stopped after the bridge closes.
      const housekeepingStop = releasers.reserve('outbox, retention, integrity watch');
      const bridge =
        this.mode === 'api-only'
          ? null
          : await releasers.step(
              '轻简 bridge',
              () => buildBridge(settings, logger, options.bridgeOptions),
              (b) => b.stop(),
            );
      // Set once the HTTP API has bound (its address goes in the registry); the worker fires nothing before.
      let fleet: FleetMember | null = null;
      const worker = await releasers.step(
        options.workers === undefined ? 'worker' : 'worker processes',
        () =>
          startWorkers({
            scope: () => fleet?.scope(),
            store,
            logger,
            clock,
            settings,
            bridge,
            agent: this.agentEnabled,
            metrics: this.metrics,
            processes: options.workers,
            pollMs: options.pollMs,
            leaseMs: options.leaseMs,
            actionBackoff: options.actionBackoff,
            drainTimeoutMs: drainMs,
          }),
        (w) => w.stop(drainMs),
      );
      this.workers = worker;
      const health: HealthSources = {
        store,
        settings,
        clock,
        mode: this.mode,
        version: this.version,
        startedAtMs: 0,
        bridge,
        integrity: null,
        agent: worker.agentOn,
        pause: worker.pause,
        polite: worker.polite,
        fleet: null,
        workers: () => worker.status(),
      };
      this.healthSources = health;
      this.metrics.attach({ store, bridge: () => bridge?.state() ?? null, paused: () => worker.pause.paused !== null, clock });
      const front = await releasers.step(
        'HTTP API',
        () =>
          listenHttp(
            {
              store,
              logger,
              settings,
              health: (paging) => daemonHealth(health, paging),
              isStopping: () => this.state === 'stopping' || this.state === 'stopped',
              onTaskReceived: () => worker.poke(),
              metrics: () => this.metrics.render(),
            },
            settings,
          ),
        (f) => f.drain(drainMs),
      );
      const port = front.port;
      health.startedAtMs = clock();
      const shownHost = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
      this.boundUrl = `http://${shownHost}:${port}`;
      const housekeeping = buildHousekeeping({
        store,
        logger,
        clock,
        settings,
        port,
        deliveryBackoff: options.deliveryBackoff,
        integrityCheckMs: options.integrityCheckMs,
      });
      housekeepingStop(() => housekeeping.stop());
      health.integrity = housekeeping.integrity;
      fleet = await releasers.step(
        'daemon registry',
        async () => {
          const member = new FleetMember({
            store,
            logger,
            clock,
            id: daemonOwner(),
            accounts: () => bridge?.onlineAccounts() ?? [],
            apiUrl: this.boundUrl,
            version: this.version,
            startedAtMs: health.startedAtMs,
            heartbeatMs: settings.heartbeatMs,
            onScopeChange: () => worker.poke(),
          });
          await member.start();
          bridge?.onAccountEvent(() => void member.beat());
          return member;
        },
        (member) => member.stop(),
      );
      health.fleet = fleet;
      worker.start();
      housekeeping.start();
      bridge?.start();
      worker.resumeAnswers();
      this.state = 'running';
      writeDaemonStartRecord(options, port, health.startedAtMs);
      void notifier.ready(`listening on ${this.boundUrl}`);
      logger.info(
        {
          mode: this.mode,
          host: settings.host,
          port,
          db: store.file,
          log_file: settings.logFile,
          files_dir: settings.filesDir,
          qingjian: bridge ? settings.qingjianUrl : 'disabled',
          agent: worker.agentOn ? settings.agent.provider : 'off',
          workers: options.workers,
          send_rate: bridge
            ? `${settings.sendRate || 'unlimited'}/min per account, ${settings.sendRateCustomer || 'unlimited'}/min per customer`
            : undefined,
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
        this.log.logger.error(
          { start_failed: true, exit_code: error instanceof AicsError ? error.exitCode : ExitCode.unexpected },
          error.message,
        );
        loggedErrors.add(error);
      }
      await releasers.release();
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
    this.stopping = this.releasers.release().then(() => {
      this.state = 'stopped';
    });
    return this.stopping;
  }

  /** Reopens the log file by name (SIGUSR2, after logrotate moved it away). */
  reopenLogs(): void {
    this.log?.reopen();
    this.log?.logger.info({ log_file: this.settings.logFile }, 'log file reopened');
  }

  /**
   * SIGHUP (`aics reload`, `systemctl reload`): reopens the log file, and under --multi replaces the worker
   * processes one at a time (a new build of the code; the settings stay those the front started with); one process has
   * nothing to restart.
   */
  async reload(): Promise<void> {
    if (this.state !== 'running' || !this.workers) return;
    this.reopenLogs();
    const logger = this.logger;
    if (this.workers.status() === null) {
      logger.info({ signal: 'SIGHUP' }, 'reload: one process (no --multi): nothing to restart; the log file was reopened');
      return;
    }
    logger.info({ signal: 'SIGHUP' }, 'reload: restarting the worker processes one at a time');
    await this.workers.reload();
    logger.info({}, 'reload: every worker process replaced');
  }

  /** Removes the pid file now (a forced exit, which skips stop()); a no-op without one. */
  releasePidFile(): void {
    if (this.pidFileHeld) removePidFile(this.pidFileHeld, process.pid);
    this.pidFileHeld = null;
  }

  /** Writes out buffered log lines now (before a forced exit). */
  flushLogs(): void {
    this.log?.flushSync();
  }

  /** The body of GET /api/health (daemon-health.ts). */
  async health(paging?: { accountsPage?: number; accountsPageSize?: number }): Promise<HealthData> {
    if (!this.healthSources) throw new Error('the daemon has not started');
    return daemonHealth(this.healthSources, paging);
  }

  /**
   * The first step: the log, then (serve --pid-file) the pid file, claimed before anything else is opened (a daemon
   * already running for it is refused, exit 5; a stale one replaced). Their stop is one, registered as soon as the
   * log is open (a refused pid file is logged, then the log closes), so that the log is closed before the pid file
   * goes: while the pid file is there, `aics stop` and `aics status` see the daemon still finishing.
   */
  private openLogAndPidFile(): Logger {
    const { settings } = this;
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
    this.releasers.add('log and pid file', () => this.closeLogAndPidFile());
    if (this.options.pidFile) {
      // The pid file lives beside the database by default: a folder that cannot be made is the database's problem.
      ensureDatabaseFolder(settings.db);
      const { replaced } = takePidFile(this.options.pidFile.path, settings.db);
      this.pidFileHeld = this.options.pidFile.path;
      if (replaced) logger.warn({ pid_file: this.pidFileHeld }, `${replaced}; replaced it`);
    }
    return logger;
  }

  private async closeLogAndPidFile(): Promise<void> {
    if (this.log) {
      if (this.state === 'stopping') this.log.logger.info({ reason: 'stopped' }, 'stopped');
      await this.log.close();
    }
    this.releasePidFile();
  }

  /** A stop that threw: said in the log while it is open (else on stderr); the other stops still run. */
  private reportStopError(step: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.log && step !== 'log and pid file') this.log.logger.error({ step }, `stopping ${step} failed: ${message}`);
    else process.stderr.write(`aics: stopping ${step} failed: ${message}\n`);
  }
}
