/**
 * The task lifecycle in the PostgreSQL store: receive, arm, claim, and every way a claim ends (complete, fail,
 * retry, put back, lease recovery), plus what operators do (cancel, redrive, reschedule) and expiry. Each operation
 * is one transaction; each status change one guarded UPDATE … RETURNING (task-base.ts). Batches another daemon may
 * be taking at the same moment (expiry, lease recovery) are read FOR UPDATE SKIP LOCKED: each row goes to one.
 */
import { InvalidStateError } from '../../errors.js';
import { computeDeadlines, requestId, type TaskPayload, type TaskStatus } from '../../tasks/index.js';
import type { ClaimOptions, ReceiveResult, TaskRecord } from '../ports/tasks.js';
import { iso, payloadToColumns, rowToTask, type TaskRow } from '../rows.js';
import {
  cancelChanges,
  claimChanges,
  completionChanges,
  failureChanges,
  putBackChanges,
  receivedAgain,
  redriveChanges,
  rescheduleChanges,
  retryChanges,
} from '../task-transitions.js';
import { rowsOf } from './repository.js';
import { named } from './sql.js';
import { PgTaskBase, type Client } from './task-base.js';

type Row = TaskRow & Record<string, unknown>;

export abstract class PgTaskLifecycle extends PgTaskBase {
  async receive(payload: TaskPayload, actor: string): Promise<ReceiveResult> {
    const nowMs = this.clock();
    const deadlines = computeDeadlines(payload, nowMs, this.zone);
    const columns = payloadToColumns(payload, deadlines.dueAtMs, deadlines.expiresAtMs, iso(nowMs));
    const names = Object.keys(columns);
    // One statement (so one round trip, committed on its own): the row and its first event, or nothing when the
    // task_id is taken; only then is the stored row read, to tell an idempotent re-receive from a conflict.
    const insert = named(
      `WITH inserted AS (
         INSERT INTO tasks (${names.join(', ')}, status) VALUES (${names.map((n) => `@${n}`).join(', ')}, 'pending')
         ON CONFLICT (task_id) DO NOTHING RETURNING *),
       event AS (
         INSERT INTO task_events (task_id, at, from_status, to_status, reason, actor)
         SELECT task_id, @created_at, NULL, 'pending', '任务接收', @__actor FROM inserted)
       SELECT * FROM inserted`,
      { ...columns, __actor: actor },
    );
    const [inserted] = await this.query<Row>(insert.text, insert.values);
    if (inserted) return { task: rowToTask(inserted), created: true };
    const existing = await this.row(null, payload.task_id);
    if (!existing) throw new InvalidStateError(`task ${payload.task_id} was being stored by another request; send it again`);
    return { task: rowToTask(receivedAgain(existing, columns.payload)), created: false };
  }

  async arm(actor: string, taskIds?: readonly string[]): Promise<string[]> {
    const nowMs = this.clock();
    // Called every second by daemons: open a transaction only when there is something to arm.
    if (!(await this.one(`SELECT 1 FROM tasks WHERE status = 'pending' LIMIT 1`))) return [];
    return this.write(async (q) => {
      const nowIso = iso(nowMs);
      const filter = taskIds ? 'AND task_id = ANY($3::text[])' : '';
      const rows = await rowsOf<{ task_id: string }>(
        q,
        `UPDATE tasks SET status = 'waiting', updated_at = $1
         WHERE status = 'pending' AND (expires_at IS NULL OR expires_at > $2) ${filter} RETURNING task_id`,
        taskIds ? [nowIso, nowMs, [...taskIds]] : [nowIso, nowMs],
      );
      const ids = rows.map((r) => r.task_id);
      await this.eventsFor(q, ids, 'pending', 'waiting', 'armed', actor, nowIso);
      return ids;
    });
  }

  claim(taskId: string, options: ClaimOptions): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    return this.write((q) => this.claimInTransaction(q, taskId, options, nowMs));
  }

  /** claim() on the caller's transaction (claimDue claims a batch in one; PgInbound.take claims a message's tasks in the transaction recording it). */
  async claimInTransaction(q: Client, taskId: string, options: ClaimOptions, nowMs: number): Promise<TaskRecord | null> {
    const c = claimChanges(options, nowMs);
    const row = await this.transition(q, taskId, 'waiting', 'running', c.set, c.why, options.owner, nowMs, c.guard, c.guardParams);
    if (!row) return null;
    const task = rowToTask(row);
    await q.query(
      `INSERT INTO task_attempts (task_id, attempt, req_id, owner, started_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (task_id, attempt) DO UPDATE SET req_id = EXCLUDED.req_id, owner = EXCLUDED.owner, started_at = EXCLUDED.started_at,
         ended_at = NULL, outcome = NULL, error = NULL`,
      [taskId, task.attempt, requestId(task), options.owner, iso(nowMs)],
    );
    return task;
  }

  complete(taskId: string, attempt: number, result: unknown, actor: string): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    return this.write(async (q) => {
      const c = completionChanges(await this.row(q, taskId), result, nowMs, this.zone);
      return this.endRunning(q, taskId, attempt, c.to, c.set, c.why, actor, nowMs, c.outcome);
    });
  }

  fail(taskId: string, attempt: number, error: string, actor: string): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    const c = failureChanges(error, nowMs);
    return this.write((q) => this.endRunning(q, taskId, attempt, 'failed', c.set, c.why, actor, nowMs, c.outcome));
  }

  retry(
    taskId: string,
    attempt: number,
    error: string,
    retryAtMs: number,
    actor: string,
    options: { sameRequest?: boolean } = {},
  ): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    const c = retryChanges(error, retryAtMs, options.sameRequest === true);
    return this.write((q) => this.endRunning(q, taskId, attempt, 'waiting', c.set, c.why, actor, nowMs, c.outcome));
  }

  putBack(taskId: string, attempt: number, why: string, actor: string): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    return this.write(async (q) => {
      const current = await this.row(q, taskId);
      if (!current) return null;
      const c = putBackChanges(current, attempt, why, nowMs);
      const row = await this.transition(q, taskId, 'running', 'waiting', c.set, c.why, actor, nowMs, c.guard, c.guardParams);
      if (!row) return null;
      await q.query('DELETE FROM task_attempts WHERE task_id = $1 AND attempt = $2', [taskId, attempt]);
      return rowToTask(row);
    });
  }

  cancel(taskId: string, reason: string, actor: string): Promise<TaskRecord> {
    const nowMs = this.clock();
    return this.write(async (q) => {
      const c = cancelChanges(await this.existingRow(q, taskId), reason, nowMs);
      const row = await this.transition(q, taskId, c.from, 'cancelled', c.set, c.why, actor, nowMs);
      if (!row) throw new InvalidStateError(`task ${taskId} changed while it was being cancelled; look again`);
      return rowToTask(row);
    });
  }

  /** `aics task retry` (redriveChanges says what it does). */
  redrive(taskId: string, reason: string, actor: string): Promise<TaskRecord> {
    const nowMs = this.clock();
    return this.write(async (q) => {
      const c = redriveChanges(await this.existingRow(q, taskId), reason, nowMs);
      const row = await this.transition(q, taskId, 'failed', 'waiting', c.set, c.why, actor, nowMs);
      if (!row) throw new InvalidStateError(`task ${taskId} changed while it was being retried; look again`);
      return rowToTask(row);
    });
  }

  /** A pending/waiting time_reach task gets a new time: due then, expiring timeout_hours after that. */
  reschedule(taskId: string, time: string, actor: string): Promise<TaskRecord> {
    const nowMs = this.clock();
    return this.write(async (q) => {
      const c = rescheduleChanges(await this.existingRow(q, taskId), time, nowMs, this.zone);
      const nowIso = iso(nowMs);
      const [row] = await rowsOf<Row>(
        q,
        `UPDATE tasks SET trigger_json = $2, trigger_time = $3, payload = $4, due_at = $5, expires_at = $6,
           error_message = NULL, updated_at = $7 WHERE task_id = $1 RETURNING *`,
        [taskId, c.trigger_json, c.trigger_time, c.payload, c.due_at, c.expires_at, nowIso],
      );
      await this.event(q, taskId, c.from, c.from, c.why, actor, nowIso);
      return rowToTask(row!);
    });
  }

  async expire(actor: string): Promise<string[]> {
    const nowMs = this.clock();
    const where = `status IN ('pending', 'waiting') AND expires_at <= $1`;
    if (!(await this.one(`SELECT 1 FROM tasks WHERE ${where} LIMIT 1`, [nowMs]))) return [];
    return this.write(async (q) => {
      const due = await rowsOf<{ task_id: string; status: TaskStatus; timeout_hours: number }>(
        q,
        `SELECT task_id, status, timeout_hours FROM tasks WHERE ${where} FOR UPDATE SKIP LOCKED`,
        [nowMs],
      );
      const expired: string[] = [];
      for (const t of due) {
        const why = `not triggered within timeout_hours (${t.timeout_hours})`;
        const set = { error_message: why, completed_at: iso(nowMs) };
        if (await this.transition(q, t.task_id, t.status, 'expired', set, why, actor, nowMs)) expired.push(t.task_id);
      }
      return expired;
    });
  }

  /** Extends the lease of a running attempt; false when the task is no longer ours. */
  async renewLease(taskId: string, attempt: number, owner: string, leaseMs: number): Promise<boolean> {
    const nowMs = this.clock();
    const rows = await this.query(
      `UPDATE tasks SET lease_expires_at = $1 WHERE task_id = $2 AND status = 'running' AND attempt = $3 AND lease_owner = $4 RETURNING 1`,
      [nowMs + leaseMs, taskId, attempt, owner],
    );
    return rows.length === 1;
  }

  /**
   * Running tasks whose lease ran out (their daemon died mid-action) go back to waiting, due now. The retry keeps
   * the same req_id, so a bridge that saw the first send does not deliver it twice.
   */
  async recoverLeases(actor: string, deadOwners: readonly string[] = []): Promise<string[]> {
    const nowMs = this.clock();
    const where = `status = 'running' AND (lease_expires_at <= $1 OR lease_owner = ANY($2::text[]))`;
    const params = [nowMs, [...deadOwners]];
    if (!(await this.one(`SELECT 1 FROM tasks WHERE ${where} LIMIT 1`, params))) return [];
    return this.write(async (q) => {
      const stale = await rowsOf<{ task_id: string; attempt: number; lease_owner: string | null; lease_expires_at: number | null }>(
        q,
        `SELECT task_id, attempt, lease_owner, lease_expires_at FROM tasks WHERE ${where} FOR UPDATE SKIP LOCKED`,
        params,
      );
      const recovered: string[] = [];
      for (const t of stale) {
        const lapsed = t.lease_expires_at !== null && t.lease_expires_at <= nowMs ? 'expired' : 'is held by a dead process';
        const why = `lease of ${t.lease_owner ?? '?'} ${lapsed}: attempt ${t.attempt} in doubt, retrying`;
        const set = { due_at: nowMs };
        if (await this.endRunning(q, t.task_id, t.attempt, 'waiting', set, why, actor, nowMs, { name: 'lease_expired', error: why })) {
          recovered.push(t.task_id);
        }
      }
      return recovered;
    });
  }
}
