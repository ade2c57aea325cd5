/**
 * The outbox's port: messages to the outside world (callbacks to Tianwang, 派单, handoff notices), written in the
 * same transaction as the change they report, and delivered until accepted, across restarts.
 */
export type OutboxKind = 'callback' | 'dispatch' | 'handoff';

export interface OutboxItem {
  id: number;
  event_id: string;
  kind: OutboxKind;
  task_id: string | null;
  payload: string;
  created_at: string;
  attempts: number;
  next_attempt_at: number;
  delivered_at: string | null;
  last_error: string | null;
  /** The daemon delivering it now (`daemon:HOST:PID`), until claim_expires_at (ms); null when no one is. */
  claimed_by: string | null;
  claim_expires_at: number | null;
}

export interface OutboxBacklog {
  count: number;
  oldest_at: string | null;
  last_error: string | null;
}

export interface OutboxStore {
  /** Adds an item unless one with this event_id exists (idempotent); true when added. */
  enqueue(kind: OutboxKind, eventId: string, taskId: string | null, payload: unknown): Promise<boolean>;
  /**
   * Undelivered items of these kinds whose next attempt is due, oldest first, leaving out `exclude`: a read, claimed by
   * no one (a sender takes items with claim()).
   */
  due(limit: number, kinds: readonly OutboxKind[], exclude?: readonly number[]): Promise<OutboxItem[]>;
  /**
   * Takes up to `limit` due, undelivered items of these kinds for `owner` for `leaseMs`, oldest first, so that
   * several daemons on one database never deliver one item at once. Items another owner holds under a live claim
   * are left out; a claim whose lease ran out (its daemon died or hung) is taken over. delivered() and deferred()
   * end the claim.
   */
  claim(limit: number, kinds: readonly OutboxKind[], owner: string, leaseMs: number): Promise<OutboxItem[]>;
  /**
   * When the next undelivered item of these kinds can be delivered (ms): its next attempt, or the end of a live
   * claim on it; null when none waits.
   */
  nextAttemptAt(kinds: readonly OutboxKind[], exclude?: readonly number[]): Promise<number | null>;
  /** Accepted by its receiver: it leaves the backlog (and its claim ends). */
  delivered(id: number): Promise<void>;
  /** One more failed delivery: the error is kept, the next attempt is due at nextAttemptAtMs, and the claim ends. */
  deferred(id: number, error: string, nextAttemptAtMs: number): Promise<void>;
  /** Undelivered items (of these kinds only, when given): how many, since when, the last delivery error. */
  backlog(kinds?: readonly OutboxKind[]): Promise<OutboxBacklog>;
  /** Forgets up to `limit` items delivered before `olderThanMs` (undelivered ones are never pruned); returns how many. */
  prune(olderThanMs: number, limit: number): Promise<number>;
  /** A task's items, oldest first. */
  list(taskId: string): Promise<OutboxItem[]>;
}
