/**
 * What the monitor shows, fetched through the API client only (DESIGN.md: the TUI talks to the daemon through
 * src/api): the health body and the newest tasks. A failure is part of the snapshot, not an exception: the
 * monitor keeps running and says the daemon is unreachable until it answers again.
 */
import type { AicsClient } from '../api/client.js';
import type { HealthData, HealthMinimalData, ListData } from '../api/types.js';

export interface Snapshot {
  at: number;
  health: HealthData | null;
  recent: ListData['items'];
  /** Why the last poll failed, when it did. */
  error: string | null;
}

function isFull(h: HealthData | HealthMinimalData): h is HealthData {
  return 'mode' in h;
}

export async function takeSnapshot(client: AicsClient, recentCount: number): Promise<Snapshot> {
  try {
    const [health, recent] = await Promise.all([client.health(), client.list({ page: 1, page_size: recentCount })]);
    if (!isFull(health)) return { at: Date.now(), health: null, recent: [], error: 'the daemon requires a token: set AICS_API_TOKEN' };
    return { at: Date.now(), health, recent: recent.items, error: null };
  } catch (error) {
    return { at: Date.now(), health: null, recent: [], error: error instanceof Error ? error.message : String(error) };
  }
}
