/**
 * The outbox: messages to the outside world (callbacks to Tianwang, later 派单 and handoff notices), written in the
 * same transaction as the change they report, and delivered until accepted — across restarts.
 */
import { byDueThenId } from './outbox-rows.js';
import { iso } from './rows.js';
import { SqliteRepository } from './repository.js';
import type { OutboxBacklog, OutboxItem, OutboxKind, OutboxStore } from './ports/outbox.js';

export class SqliteOutbox extends SqliteRepository implements OutboxStore {
  /** Adds an item unless one with this event_id exists (idempotent); true when added. */
  enqueue(kind: OutboxKind, eventId: string, taskId: string | null, payload: unknown): Promise<boolean> {
    const nowMs = this.clock();
    return this.write(
      () =>
        this.statement(
          `INSERT INTO outbox (event_id, kind, task_id, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (event_id) DO NOTHING`,
        ).run(eventId, kind, taskId, JSON.stringify(payload), iso(nowMs), nowMs).changes === 1,
    );
  }

  /** Undelivered items of these kinds whose next attempt is due, oldest first, leaving out `exclude` (ids in flight). */
  due(limit: number, kinds: readonly OutboxKind[], exclude: readonly number[] = []): Promise<OutboxItem[]> {
    const nowMs = this.clock();
    return this.read(
      () =>
        this.statement(
          `SELECT * FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ? AND kind IN (SELECT value FROM json_each(?))
             AND id NOT IN (SELECT value FROM json_each(?))
           ORDER BY next_attempt_at, id LIMIT ?`,
        ).all(nowMs, JSON.stringify(kinds), JSON.stringify(exclude), limit) as OutboxItem[],
    );
  }

  /** Takes due items for `owner` in one IMMEDIATE transaction: no other daemon on the file claims between the read and the write. */
  claim(limit: number, kinds: readonly OutboxKind[], owner: string, leaseMs: number): Promise<OutboxItem[]> {
    const nowMs = this.clock();
    return this.write(() =>
      (
        this.statement(
          `UPDATE outbox SET claimed_by = ?, claim_expires_at = ? WHERE id IN (
             SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ? AND kind IN (SELECT value FROM json_each(?))
               AND (claimed_by IS NULL OR claim_expires_at <= ?)
             ORDER BY next_attempt_at, id LIMIT ?)
           RETURNING *`,
        ).all(owner, nowMs + leaseMs, nowMs, JSON.stringify(kinds), nowMs, limit) as OutboxItem[]
      ).sort(byDueThenId),
    );
  }

  /** When the next undelivered item of these kinds can be delivered (ms), or null when none waits. */
  nextAttemptAt(kinds: readonly OutboxKind[], exclude: readonly number[] = []): Promise<number | null> {
    return this.read(
      () =>
        (
          this.statement(
            `SELECT MIN(MAX(next_attempt_at, COALESCE(claim_expires_at, 0))) AS t FROM outbox WHERE delivered_at IS NULL
               AND kind IN (SELECT value FROM json_each(?)) AND id NOT IN (SELECT value FROM json_each(?))`,
          ).get(JSON.stringify(kinds), JSON.stringify(exclude)) as { t: number | null }
        ).t,
    );
  }

  /** Recorded through the group commit: the deliveries that end together share one transaction. */
  delivered(id: number): Promise<void> {
    const nowMs = this.clock();
    return this.writeGrouped(() => {
      this.statement(
        'UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL, claimed_by = NULL, claim_expires_at = NULL WHERE id = ?',
      ).run(iso(nowMs), id);
    });
  }

  deferred(id: number, error: string, nextAttemptAtMs: number): Promise<void> {
    return this.writeGrouped(() => {
      this.statement(
        `UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, claimed_by = NULL, claim_expires_at = NULL
           WHERE id = ? AND delivered_at IS NULL`,
      ).run(error.slice(0, 500), nextAttemptAtMs, id);
    });
  }

  /** Undelivered items (of these kinds only, when given): how many, since when, the last delivery error. */
  backlog(kinds?: readonly OutboxKind[]): Promise<OutboxBacklog> {
    return this.read(() => {
      const only = kinds ? `AND kind IN (SELECT value FROM json_each(@kinds))` : '';
      const r = this.statement(
        `SELECT COUNT(*) AS count, MIN(created_at) AS oldest_at,
             (SELECT last_error FROM outbox WHERE delivered_at IS NULL AND last_error IS NOT NULL ${only} ORDER BY id DESC LIMIT 1) AS last_error
           FROM outbox WHERE delivered_at IS NULL ${only}`,
      )

        .get(...(kinds ? [{ kinds: JSON.stringify(kinds) }] : [])) as OutboxBacklog;
      return r;
    });
  }

  /** Forgets up to `limit` items delivered before `olderThanMs` (undelivered ones are never pruned); returns how many. */
  prune(olderThanMs: number, limit: number): Promise<number> {
    return this.write(
      () =>
        this.statement(
          'DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ? ORDER BY id LIMIT ?)',
        ).run(iso(olderThanMs), limit).changes,
    );
  }

  list(taskId: string): Promise<OutboxItem[]> {
    return this.read(() => this.statement('SELECT * FROM outbox WHERE task_id = ? ORDER BY id').all(taskId) as OutboxItem[]);
  }
}
