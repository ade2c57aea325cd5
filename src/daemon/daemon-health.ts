/** The body of GET /api/health, composed from the running daemon's parts (the store, the bridge, the checks). */
import { SERVICE_NAME, type DaemonHealth, type DaemonModeName, type HealthData, type WorkerHealth } from '../api/index.js';
import type { Settings } from '../config.js';
import type { Store } from '../store/index.js';
import { bridgeHealth, healthWarnings } from './health-warnings.js';
import type { HealthPaging } from './http/health.js';
import { dbStatsView } from './http/views.js';
import type { IntegrityWatch } from './integrity-watch.js';
import type { PauseGate } from './ops/pause-gate.js';
import type { PoliteSender } from './ops/polite-sender.js';
import type { QingjianBridge } from './qingjian/index.js';
import type { FleetMember } from './fleet/fleet-member.js';
import { stateOf } from './fleet/fleet-policy.js';

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
  /** The daemon registry step; null before it started. */
  fleet: FleetMember | null;
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
  const daemons = s.fleet ? await daemonsHealth(s.store, s.fleet, s.clock()) : null;
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
    ...(daemons ? { daemons } : {}),
    ...workersHealth(s),
    // A database problem found by the periodic check is a warning too, so that `aics status` exits 8 for it.
    warnings: [...problems, ...warnings, ...staleWarnings(daemons ?? [])],
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

async function daemonsHealth(store: Store, fleet: FleetMember, nowMs: number): Promise<DaemonHealth[]> {
  return (await store.daemons.list()).map((d) => ({
    ...d,
    heartbeat_at: new Date(d.heartbeat_at).toISOString(),
    state: stateOf(d, nowMs, fleet.staleAfterMs),
    self: d.id === fleet.id,
  }));
}

/** A daemon that stopped beating (died, or cut off): its accounts' tasks wait for a daemon that serves them. */
function staleWarnings(daemons: readonly DaemonHealth[]): string[] {
  return daemons
    .filter((d) => d.state === 'stale')
    .map(
      (d) =>
        `daemon ${d.id} stopped beating at ${d.heartbeat_at}: the tasks of its accounts (${d.accounts.join(', ') || 'none'}) wait for a daemon that serves them`,
    );
}

function workersHealth(s: HealthSources): { workers?: WorkerHealth[] } {
  const workers = s.workers?.() ?? null;
  return workers ? { workers } : {};
}
