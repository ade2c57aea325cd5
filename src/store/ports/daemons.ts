/**
 * The daemons on one store (several daemons, several hosts, one database): each records itself with the WeCom
 * accounts its 轻简 bridge serves and a heartbeat, so that the others know whose tasks they may fire, whose leases
 * to take back when it dies, and `aics status` / `/api/health` can list them.
 */
export interface DaemonRecord {
  /** The daemon's lease owner, "daemon:HOST:PID": the same name its task leases carry. */
  id: string;
  host: string;
  pid: number;
  /** The WeCom accounts (acc_id) its bridge serves, sorted. */
  accounts: string[];
  /** Where its HTTP API answers, e.g. http://10.0.0.5:6060. */
  api_url: string | null;
  version: string | null;
  started_at: string;
  /** Its last heartbeat, ms since the epoch. */
  heartbeat_at: number;
  /** Set by a clean stop; null while it runs (or after it died). */
  stopped_at: string | null;
}

export interface DaemonRegistry {
  /** Records (or refreshes) a daemon; clears stopped_at (a daemon beating runs). */
  heartbeat(record: Omit<DaemonRecord, 'stopped_at'>): Promise<void>;
  /** A clean stop: the record stays (its accounts' tasks wait for it), marked stopped. */
  stopped(id: string, atIso: string): Promise<void>;
  /** Every recorded daemon, by id. */
  list(): Promise<DaemonRecord[]>;
  /** Removes a daemon's record (one that will not come back); false when there was none. */
  forget(id: string): Promise<boolean>;
}

/** How many heartbeats a daemon may miss before the others count it dead. */
export const MISSED_BEATS = 3;

export type DaemonState = 'alive' | 'stale' | 'stopped';

/** alive: beat within `staleAfterMs`; stale: no beat since (died, or cut off); stopped: stopped cleanly. */
export function daemonState(record: Pick<DaemonRecord, 'heartbeat_at' | 'stopped_at'>, nowMs: number, staleAfterMs: number): DaemonState {
  if (record.stopped_at) return 'stopped';
  return nowMs - record.heartbeat_at > staleAfterMs ? 'stale' : 'alive';
}
