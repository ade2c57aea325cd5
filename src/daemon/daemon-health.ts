/** The body of GET /api/health, composed from the running daemon's parts (the store, the bridge, the checks). */
import { SERVICE_NAME, type DaemonModeName, type HealthData, type WorkerHealth } from '../api/index.js';
import type { Settings } from '../config.js';
import type { Store } from '../store/index.js';
import { bridgeHealth, healthWarnings } from './health-warnings.js';
import type { HealthPaging } from './http/health.js';
import { dbStatsView } from './http/views.js';
import type { IntegrityWatch } from './integrity-watch.js';
import type { PauseGate } from './ops/pause-gate.js';
import type { PoliteSender } from './ops/polite-sender.js';
import type { QingjianBridge } from './qingjian/index.js';

export interface HealthSources {
  store: Store;
  settings: Pick<Settings, 'dispatchUrl'>;
  clock: () => number;
  mode: DaemonModeName;
  version: string;
  startedAtMs: number;
  bridge: QingjianBridge | null;
  /** null until the periodic check runs (it starts once the HTTP API listens). */
  integrity: IntegrityWatch | null;
  agent: boolean;
  pause: PauseGate | null;
  polite: PoliteSender | null;
  /** The worker processes of `serve --multi`; null in one process. */
  workers?: () => WorkerHealth[] | null;
}

export async function daemonHealth(s: HealthSources, paging?: Partial<HealthPaging>): Promise<HealthData> {
  const stats = await s.store.tasks.stats();
  // 派单 without TIANWANG_DISPATCH_URL is held on purpose, not a callback that failed: counted on its own.
  const dispatchOff = !s.settings.dispatchUrl;
  const backlog = await s.store.outbox.backlog(dispatchOff ? ['callback', 'handoff'] : undefined);
  const dispatchHeld = dispatchOff ? (await s.store.outbox.backlog(['dispatch'])).count : 0;
  const qingjian = s.bridge ? bridgeHealth(s.bridge.state(paging)) : { connected: false, state: 'disabled' as const };
  const warnings = healthWarnings({
    nowMs: s.clock(),
    mode: s.mode,
    qingjian,
    pending: stats.by_status.pending,
    oldestPending: stats.oldest_pending,
    dispatchHeld,
  });
  const problems = s.integrity?.problems() ?? [];
  return {
    service: SERVICE_NAME,
    status: problems.length ? 'degraded' : 'ok',
    ...(problems.length ? { problems } : {}),
    version: s.version,
    mode: s.mode,
    agent: s.agent,
    pid: process.pid,
    started_at: new Date(s.startedAtMs).toISOString(),
    uptime_s: Math.max(0, Math.floor((s.clock() - s.startedAtMs) / 1000)),
    qingjian,
    db: dbStatsView(stats, await s.store.maintenance?.fileSizes()),
    tasks: stats.by_status,
    outbox_backlog: backlog.count,
    outbox: backlog,
    paused: s.pause?.paused ?? null,
    dispatch_held: dispatchHeld,
    ...(s.polite ? { sending: sendingHealth(s.polite) } : {}),
    ...workersHealth(s),
    // A database problem found by the periodic check is a warning too, so that `aics status` exits 8 for it.
    warnings: [...problems, ...warnings],
  };
}

function sendingHealth(polite: PoliteSender): NonNullable<HealthData['sending']> {
  const byAccount = polite.waiting();
  return {
    rate_per_account: polite.rates.perAccount,
    rate_per_customer: polite.rates.perCustomer,
    waiting: Object.values(byAccount).reduce((a, b) => a + b, 0),
    waiting_by_account: byAccount,
  };
}

function workersHealth(s: HealthSources): { workers?: WorkerHealth[] } {
  const workers = s.workers?.() ?? null;
  return workers ? { workers } : {};
}
