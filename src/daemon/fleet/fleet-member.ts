/**
 * This daemon's part in the fleet on its database: it beats into the daemon registry every `heartbeatMs` with the
 * WeCom accounts its 轻简 bridge serves (at once when they change), reads the others' records, and applies the
 * fleet policy (fleet-policy.ts): the scope the scheduler and the trigger engine fire within, the leases of dead
 * daemons taken back, its own predecessor's record forgotten. A clean stop marks its record stopped.
 */
import { hostname } from 'node:os';
import type { ClaimScope, Store } from '../../store/index.js';
import type { Logger } from '../ports.js';
import { LOG_WORDS } from '../../log.js';
import { fleetView, MISSED_BEATS, type FleetView } from './fleet-policy.js';

export const DEFAULT_HEARTBEAT_MS = 5000;

export interface FleetMemberOptions {
  store: Store;
  logger: Logger;
  clock: () => number;
  /** The name this daemon's leases carry ("daemon:HOST:PID"). */
  id: string;
  /** The accounts the bridge serves now (none under --api-only). */
  accounts: () => string[];
  apiUrl: string | null;
  version: string;
  startedAtMs: number;
  heartbeatMs?: number;
  /** Called when the scope changed (the scheduler looks again at once). */
  onScopeChange?: () => void;
}

export class FleetMember {
  private view: FleetView | null = null;
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;
  private readonly heartbeatMs: number;
  private readonly pid = process.pid;

  constructor(private readonly o: FleetMemberOptions) {
    this.heartbeatMs = o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  }

  get id(): string {
    return this.o.id;
  }

  /** After how long without a beat a daemon counts as dead. */
  get staleAfterMs(): number {
    return this.heartbeatMs * MISSED_BEATS;
  }

  /** What this daemon fires; undefined while it is alone on the database (or before its first beat). */
  scope(): ClaimScope | undefined {
    return this.view?.scope;
  }

  /** The last view of the fleet (for /api/health). */
  get lastView(): FleetView | null {
    return this.view;
  }

  /** The first beat (awaited: the scope is known before anything fires), then one every heartbeatMs. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.heartbeatMs);
    this.timer.unref();
  }

  /** Beats now, e.g. when the bridge's accounts changed; one beat at a time. */
  beat(): Promise<void> {
    this.beating ??= this.beatOnce().finally(() => {
      this.beating = null;
    });
    return this.beating;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
    await this.o.store.daemons.stopped(this.o.id, new Date(this.o.clock()).toISOString());
  }

  private async beatOnce(): Promise<void> {
    const { store, logger, clock, id } = this.o;
    try {
      const self = { id, host: hostname(), api_url: this.o.apiUrl, accounts: [...this.o.accounts()].sort() };
      await store.daemons.heartbeat({
        ...self,
        pid: this.pid,
        version: this.o.version,
        started_at: new Date(this.o.startedAtMs).toISOString(),
        heartbeat_at: clock(),
      });
      const view = fleetView(await store.daemons.list(), self, clock(), this.staleAfterMs);
      for (const gone of view.predecessors) await store.daemons.forget(gone);
      if (view.deadOwners.length) {
        for (const taskId of await store.tasks.recoverLeases(id, view.deadOwners)) {
          logger.warn(
            { task_id: taskId },
            `${LOG_WORDS.recovered} ${taskId}: the daemon that ran it stopped beating; retrying with the same req_id`,
          );
        }
      }
      const before = JSON.stringify(this.view?.scope ?? null);
      this.view = view;
      if (JSON.stringify(view.scope ?? null) !== before) {
        logger.info(
          { scope: view.scope ?? 'all', daemons: view.daemons.length },
          view.scope
            ? `fleet: firing tasks for accounts [${view.scope.accounts?.join(', ')}] and those with none`
            : 'fleet: alone on the database',
        );
        this.o.onScopeChange?.();
      }
    } catch (error) {
      logger.error({ error: error instanceof Error ? error.message : String(error) }, `daemon registry: ${String(error)}`);
    }
  }
}
