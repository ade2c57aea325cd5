/**
 * The outbox on PostgreSQL: messages to the outside world, written in the same transaction as the change they report
 * and delivered until accepted. Several daemons share the table: claim() takes items with FOR UPDATE SKIP LOCKED, so
 * two daemons claiming at once get different items and neither waits for the other.
 */
import { byDueThenId } from '../outbox-rows.js';
import type { OutboxBacklog, OutboxItem, OutboxKind, OutboxStore } from '../ports/outbox.js';
import { iso } from '../rows.js';
import { PgRepository } from './repository.js';

type ItemRow = OutboxItem & Record<string, unknown>;

export class PgOutbox extends PgRepository implements OutboxStore {
  async enqueue(kind: OutboxKind, eventId: string, taskId: string | null, payload: unknown): Promise<boolean> {
    const nowMs = this.clock();
    const added = await this.query(
      `INSERT INTO outbox (event_id, kind, task_id, payload, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (event_id) DO NOTHING RETURNING id`,
      [eventId, kind, taskId, JSON.stringify(payload), iso(nowMs), nowMs],
    );
    return added.length === 1;
  }

  due(limit: number, kinds: readonly OutboxKind[], exclude: readonly number[] = []): Promise<OutboxItem[]> {
    return this.query<ItemRow>(
      `SELECT * FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= $1 AND kind = ANY($2::text[]) AND NOT (id = ANY($3::bigint[]))
         ORDER BY next_attempt_at, id LIMIT $4`,
      [this.clock(), kinds, exclude, limit],
    );
  }

  /** One guarded statement: the rows are locked as they are picked, and rows another claim has locked are skipped. */
  async claim(limit: number, kinds: readonly OutboxKind[], owner: string, leaseMs: number): Promise<OutboxItem[]> {
    const nowMs = this.clock();
    const rows = await this.query<ItemRow>(
      `UPDATE outbox SET claimed_by = $1, claim_expires_at = $2 WHERE id IN (
         SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= $3 AND kind = ANY($4::text[])
           AND (claimed_by IS NULL OR claim_expires_at <= $3)
         ORDER BY next_attempt_at, id LIMIT $5 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [owner, nowMs + leaseMs, nowMs, kinds, limit],
    );
    return rows.sort(byDueThenId);
  }

  async nextAttemptAt(kinds: readonly OutboxKind[], exclude: readonly number[] = []): Promise<number | null> {
    const row = await this.one<{ t: number | null }>(
      `SELECT MIN(GREATEST(next_attempt_at, COALESCE(claim_expires_at, 0))) AS t FROM outbox
         WHERE delivered_at IS NULL AND kind = ANY($1::text[]) AND NOT (id = ANY($2::bigint[]))`,
      [kinds, exclude],
    );
    return row?.t ?? null;
  }

  async delivered(id: number): Promise<void> {
    await this.query(
      `UPDATE outbox SET delivered_at = $1, attempts = attempts + 1, last_error = NULL, claimed_by = NULL, claim_expires_at = NULL
         WHERE id = $2`,
      [iso(this.clock()), id],
    );
  }

  async deferred(id: number, error: string, nextAttemptAtMs: number): Promise<void> {
    await this.query(
      `UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, claimed_by = NULL, claim_expires_at = NULL
         WHERE id = $3 AND delivered_at IS NULL`,
      [error.slice(0, 500), nextAttemptAtMs, id],
    );
  }

  async backlog(kinds?: readonly OutboxKind[]): Promise<OutboxBacklog> {
    const only = kinds ? 'AND kind = ANY($1::text[])' : '';
    const row = await this.one<OutboxBacklog & Record<string, unknown>>(
      `SELECT COUNT(*)::int AS count, MIN(created_at) AS oldest_at,
           (SELECT last_error FROM outbox WHERE delivered_at IS NULL AND last_error IS NOT NULL ${only} ORDER BY id DESC LIMIT 1) AS last_error
         FROM outbox WHERE delivered_at IS NULL ${only}`,
      kinds ? [kinds] : [],
    );
    return { count: row!.count, oldest_at: row!.oldest_at, last_error: row!.last_error };
  }

  async prune(olderThanMs: number, limit: number): Promise<number> {
    const gone = await this.query(
      `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < $1 ORDER BY id LIMIT $2)
         RETURNING id`,
      [iso(olderThanMs), limit],
    );
    return gone.length;
  }

  list(taskId: string): Promise<OutboxItem[]> {
    return this.query<ItemRow>('SELECT * FROM outbox WHERE task_id = $1 ORDER BY id', [taskId]);
  }
}
