/**
 * Who is alive on the database, who is dead, and what this daemon may fire: the one place that decides it, from
 * the registry's records and the clock (no I/O), so that the heartbeat step, /api/health and `aics status` agree.
 *
 * - alive, stale or stopped: daemonState (ports/daemons.ts, which the CLI reads too).
 * - A stale daemon's task leases are taken back at once (its sends never finish), instead of when they lapse.
 * - A record on this host with this daemon's API address that is not alive is this daemon's predecessor (the same
 *   daemon before a restart, with another pid): its leases are taken back and its record forgotten, so that a
 *   daemon alone on its database stays unscoped across restarts.
 * - Alone (no other daemon on record): no scope, exactly as one daemon always ran. With others on record, alive or
 *   not: only the tasks of the accounts this daemon's bridge serves, and those with no account; a dead daemon's
 *   accounts' tasks wait for a daemon that serves them, never sent through the wrong account.
 */
import { daemonState, type ClaimScope, type DaemonRecord, type DaemonState } from '../../store/index.js';

export { MISSED_BEATS } from '../../store/index.js';

export interface DaemonView extends DaemonRecord {
  state: DaemonState;
  /** This daemon's own record. */
  self: boolean;
}

export interface FleetView {
  daemons: DaemonView[];
  /** What this daemon fires; undefined when it is alone on the database. */
  scope: ClaimScope | undefined;
  /** Lease owners whose leases go back to waiting now. */
  deadOwners: string[];
  /** Records of this daemon before a restart, to forget. */
  predecessors: string[];
}

export interface FleetSelf {
  id: string;
  host: string;
  api_url: string | null;
  accounts: readonly string[];
}

export const stateOf = daemonState;

export function fleetView(records: readonly DaemonRecord[], self: FleetSelf, nowMs: number, staleAfterMs: number): FleetView {
  const daemons: DaemonView[] = records.map((r) => ({ ...r, state: stateOf(r, nowMs, staleAfterMs), self: r.id === self.id }));
  const predecessors = daemons
    .filter((d) => !d.self && d.state !== 'alive' && d.host === self.host && d.api_url !== null && d.api_url === self.api_url)
    .map((d) => d.id);
  const others = daemons.filter((d) => !d.self && !predecessors.includes(d.id));
  const deadOwners = [...daemons.filter((d) => d.state === 'stale' && !d.self).map((d) => d.id), ...predecessors];
  return {
    daemons,
    scope: others.length ? { accounts: [...self.accounts].sort() } : undefined,
    deadOwners: [...new Set(deadOwners)],
    predecessors,
  };
}

/** The daemons alive that serve an account (for `task status --why`). */
export function servingDaemons(daemons: readonly DaemonView[], accId: string): DaemonView[] {
  return daemons.filter((d) => d.state === 'alive' && d.accounts.includes(accId));
}
