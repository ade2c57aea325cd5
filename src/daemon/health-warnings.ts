/**
 * What an operator must be told about a running daemon that answers but cannot do all of its job: the 轻简 bridge is
 * away, tasks stay pending because no daemon that can fire them runs, 派单 orders are held for want of a URL. GET
 * /api/health carries these sentences; `aics status` exits 8 ("running but degraded") when there are any, and
 * `aics monitor` shows them. Pure.
 */
import type { HealthData } from '../api/types.js';

/** Pending longer than this (a firing daemon arms within a second) means no firing daemon runs. */
export const PENDING_WARN_MS = 10_000;
/** A bridge still connecting at start-up is not a problem yet. */
export const BRIDGE_GRACE_MS = 5_000;

export interface WarningInputs {
  nowMs: number;
  mode: HealthData['mode'];
  qingjian: HealthData['qingjian'];
  pending: number;
  oldestPending: { task_id: string; created_at: string } | null;
  dispatchHeld: number;
}

export function healthWarnings(i: WarningInputs): string[] {
  const out: string[] = [];
  const q = i.qingjian;
  if (q.state !== 'disabled' && !q.connected) {
    const since = typeof q.since === 'number' ? q.since : null;
    const away = since === null ? Infinity : i.nowMs - since;
    if (q.last_error || away >= BRIDGE_GRACE_MS) {
      out.push(
        `轻简 bridge ${q.state}${since !== null ? ` since ${new Date(since).toISOString()}` : ''}${q.last_error ? ` (last error: ${String(q.last_error)})` : ''}: customer triggers and answers wait until it is back`,
      );
    }
  }
  if (i.pending > 0 && i.oldestPending) {
    const created = Date.parse(i.oldestPending.created_at);
    if (!Number.isNaN(created) && i.nowMs - created >= PENDING_WARN_MS) {
      const who =
        i.mode === 'api-only'
          ? 'this daemon is --api-only and no daemon with a 轻简 bridge runs on this database: start "aics serve" without --api-only to arm and fire them'
          : 'they are not being armed: look at "aics logs grep --level warn"';
      out.push(
        `${i.pending} task${i.pending === 1 ? '' : 's'} pending, the oldest (${i.oldestPending.task_id}) since ${i.oldestPending.created_at}: ${who}`,
      );
    }
  }
  if (i.dispatchHeld > 0) {
    out.push(
      `${i.dispatchHeld} 派单 order${i.dispatchHeld === 1 ? '' : 's'} held: TIANWANG_DISPATCH_URL is not set (they are sent once it is)`,
    );
  }
  return out;
}

/**
 * The bridge's state for /api/health. While it is not connected nobody knows whether an account is online: the
 * last status it reported stays as `last_known`, and `status` says `unknown`.
 */
export function bridgeHealth<S extends { connected: boolean; accounts: Record<string, { status: string }> }>(
  state: S,
): S & HealthData['qingjian'] {
  if (state.connected) return { ...state } as S & HealthData['qingjian'];
  const accounts = Object.fromEntries(
    Object.entries(state.accounts).map(([id, a]) => [id, { ...a, status: 'unknown', last_known: a.status }]),
  );
  return { ...state, accounts } as unknown as S & HealthData['qingjian'];
}
