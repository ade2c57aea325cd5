/** What `aics serve` asks of the daemon: its mode and options, and the refusals that need nothing opened. */
import type { DaemonModeName } from '../api/index.js';
import { isLoopbackHost, type Settings } from '../config.js';
import { ValidationError } from '../errors.js';
import type { TextSink } from '../log.js';
import type { BridgeOptions } from './assembly/front.js';
import type { BackoffPolicy } from './engine/backoff.js';

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
  bridgeOptions?: BridgeOptions;
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

/** Refusals that need nothing opened: a mode not built yet, a public bind without a token. Exit 2. */
export function assertStartable(options: Pick<DaemonOptions, 'mode' | 'workers' | 'settings'>): void {
  if (!BUILT_MODES.includes(options.mode)) {
    throw new ValidationError(`${MODE_DESCRIPTIONS[options.mode]} is not built yet; run "aics serve --api-only"`, 'mode');
  }
  if (options.workers !== undefined) assertMultiStartable(options.mode, options.workers, options.settings);
  const { host, apiToken } = options.settings;
  if (!isLoopbackHost(host) && !apiToken) {
    throw new ValidationError(
      `--host ${host} is not a loopback address: set AICS_API_TOKEN (a long random secret) so that the API requires it, or bind 127.0.0.1`,
      'AICS_API_TOKEN',
    );
  }
}

/** --multi needs a bridge to share out and a database file the worker processes open beside the front. */
function assertMultiStartable(mode: DaemonMode, workers: number, settings: Pick<Settings, 'db'>): void {
  if (mode === 'api-only') {
    throw new ValidationError(
      '--multi shares the 轻简 customers among worker processes: it needs the bridge; drop --api-only or --multi',
      '--multi',
    );
  }
  if (/^postgres(ql)?:/i.test(settings.db)) {
    throw new ValidationError(
      '--multi runs on a SQLite database file for now, not on PostgreSQL: run one process ("aics serve")',
      '--multi',
    );
  }
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    throw new ValidationError(`--workers must be 1 to 64, not ${workers}`, '--workers');
  }
}
