/**
 * What every task operation of the PostgreSQL store shares: reading a row, recording an event, and the one way a
 * status changes (an UPDATE guarded by the old status, its event, and the callback for a terminal status, in the
 * caller's transaction). Under READ COMMITTED a concurrent UPDATE of the same row waits, then re-checks the guard
 * on the row as committed: whoever changes 0 rows lost the race.
 */
import type pg from 'pg';
import { NotFoundError } from '../../errors.js';
import { isTerminal, type TaskStatus } from '../../tasks/index.js';
import type { TaskRecord } from '../ports/tasks.js';
import { callbackBody, iso, rowToTask, type TaskRow } from '../rows.js';
import { endRunningChanges, guardedUpdate } from '../task-transitions.js';
import type { Pool } from './pool.js';
import { PgRepository, rowsOf } from './repository.js';
import { named } from './sql.js';
import type { TaskChanges } from './task-changes.js';

export type Client = pg.PoolClient;
type Row = TaskRow & Record<string, unknown>;

export interface PgTaskOptions {
  clock?: () => number;
  timeZone?: string;
}

export abstract class PgTaskBase extends PgRepository {
  protected readonly zone: string;

  constructor(
    pool: Pool,
    file: string,
    protected readonly changes: TaskChanges,
    options: PgTaskOptions = {},
  ) {
    super(pool, file, options.clock ?? Date.now);
    this.zone = options.timeZone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  }

  protected async row(q: Client | null, taskId: string): Promise<TaskRow | undefined> {
    const sql = 'SELECT * FROM tasks WHERE task_id = $1';
    return q ? (await rowsOf<Row>(q, sql, [taskId]))[0] : this.one<Row>(sql, [taskId]);
  }

  /** The task an operator named (cancel, retry, reschedule), locked until the transaction ends; not found names this database. */
  protected async existingRow(q: Client, taskId: string): Promise<TaskRow> {
    const [current] = await rowsOf<Row>(q, 'SELECT * FROM tasks WHERE task_id = $1 FOR UPDATE', [taskId]);
    if (!current) throw new NotFoundError(`task ${taskId} not found in ${this.file}`);
    return current;
  }

  protected async event(
    q: Client,
    taskId: string,
    from: TaskStatus | null,
    to: TaskStatus,
    reason: string | null,
    actor: string,
    atIso: string,
  ) {
    await q.query('INSERT INTO task_events (task_id, at, from_status, to_status, reason, actor) VALUES ($1, $2, $3, $4, $5, $6)', [
      taskId,
      atIso,
      from,
      to,
      reason,
      actor,
    ]);
  }

  /** Events for many tasks at once (arm, expire): one statement instead of one round trip per task. */
  protected async eventsFor(
    q: Client,
    taskIds: string[],
    from: TaskStatus | null,
    to: TaskStatus,
    reason: string,
    actor: string,
    atIso: string,
  ) {
    if (!taskIds.length) return;
    await q.query(
      `INSERT INTO task_events (task_id, at, from_status, to_status, reason, actor)
       SELECT id, $2, $3, $4, $5, $6 FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n) ORDER BY n`,
      [taskIds, atIso, from, to, reason, actor],
    );
  }

  /** The callback to Tianwang for a terminal status, written in the same transaction as the change. */
  protected async enqueueCallback(q: Client, row: TaskRow, nowMs: number) {
    const body = callbackBody(row);
    await q.query(
      `INSERT INTO outbox (event_id, kind, task_id, payload, created_at, next_attempt_at)
       VALUES ($1, 'callback', $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING`,
      [body.event_id, row.task_id, JSON.stringify(body), iso(nowMs), nowMs],
    );
  }

  /**
   * The one way a status changes: an UPDATE guarded by the old status (and, for a running task, the attempt), an
   * event, and the callback for a terminal status. Returns null when the guard did not hold.
   */
  protected async transition(
    q: Client,
    taskId: string,
    from: TaskStatus,
    to: TaskStatus,
    set: Record<string, unknown>,
    reason: string | null,
    actor: string,
    nowMs: number,
    extraGuard = '',
    extraParams: unknown[] = [],
  ): Promise<TaskRow | null> {
    const nowIso = iso(nowMs);
    const update = guardedUpdate(taskId, from, to, set, nowIso, extraGuard, extraParams);
    const bound = named(update.sql, update.params);
    const [row] = await rowsOf<Row>(q, bound.text, bound.values);
    if (!row) return null;
    await this.event(q, taskId, from, to, reason, actor, nowIso);
    if (isTerminal(to)) await this.enqueueCallback(q, row, nowMs);
    return row;
  }

  protected async endAttempt(q: Client, taskId: string, attempt: number, outcome: string, error: string | null, nowMs: number) {
    await q.query('UPDATE task_attempts SET ended_at = $1, outcome = $2, error = $3 WHERE task_id = $4 AND attempt = $5', [
      iso(nowMs),
      outcome,
      error,
      taskId,
      attempt,
    ]);
  }

  /** Ends a running attempt (endRunningChanges) and records its outcome. Null when the guard did not hold. */
  protected async endRunning(
    q: Client,
    taskId: string,
    attempt: number,
    to: TaskStatus,
    set: Record<string, unknown>,
    reason: string,
    actor: string,
    nowMs: number,
    outcome: { name: string; error: string | null },
  ): Promise<TaskRecord | null> {
    const end = endRunningChanges(set, attempt);
    const row = await this.transition(q, taskId, 'running', to, end.set, reason, actor, nowMs, end.guard, end.guardParams);
    if (!row) return null;
    await this.endAttempt(q, taskId, attempt, outcome.name, outcome.error, nowMs);
    return rowToTask(row);
  }
}
