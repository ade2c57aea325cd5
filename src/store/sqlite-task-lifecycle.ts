/**
 * The task lifecycle in the SQLite store: receive, arm, claim, and every way a claim ends (complete, fail, retry,
 * put back, lease recovery), plus what operators do (cancel, redrive, reschedule) and expiry. Each operation is one
 * IMMEDIATE transaction: the write lock is taken up front, so two processes never deadlock upgrading a read lock.
 */
import { InvalidStateError } from '../errors.js';
import { computeDeadlines, requestId, type TaskPayload, type TaskStatus } from '../tasks/index.js';
import type { ClaimOptions, ReceiveResult, TaskRecord } from './ports/tasks.js';
import { iso, payloadToColumns, rowToTask, type TaskRow } from './rows.js';
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
} from './task-transitions.js';
import { SqliteTaskBase } from './sqlite-task-base.js';

export abstract class SqliteTaskLifecycle extends SqliteTaskBase {
  receive(payload: TaskPayload, actor: string): Promise<ReceiveResult> {
    const nowMs = this.clock();
    let deadlines;
    try {
      deadlines = computeDeadlines(payload, nowMs, this.zone);
    } catch (error) {
      return Promise.reject(error);
    }
    const columns = payloadToColumns(payload, deadlines.dueAtMs, deadlines.expiresAtMs, iso(nowMs));
    return this.grouped.run(() => {
      const names = Object.keys(columns);
      // RETURNING: the stored row without reading it back (nothing when the task_id was already there).
      const inserted = this.statement(
        `INSERT INTO tasks (${names.join(', ')}, status) VALUES (${names.map((n) => `@${n}`).join(', ')}, 'pending')
         ON CONFLICT (task_id) DO NOTHING RETURNING *`,
      ).get(columns) as TaskRow | undefined;
      if (inserted) {
        this.event(payload.task_id, null, 'pending', '任务接收', actor, columns.created_at);
        return { task: rowToTask(inserted), created: true };
      }
      return { task: rowToTask(receivedAgain(this.row(payload.task_id)!, columns.payload)), created: false };
    });
  }

  async arm(actor: string, taskIds?: readonly string[]): Promise<string[]> {
    const nowMs = this.clock();
    // Called every second by daemons: take the write lock only when there is something to arm.
    if (!(await this.exists(`SELECT 1 FROM tasks WHERE status = 'pending' LIMIT 1`))) return [];
    return this.write(() => {
      const nowIso = iso(nowMs);
      const filter = taskIds ? `AND task_id IN (SELECT value FROM json_each(@ids))` : '';
      const rows = this.statement(
        `UPDATE tasks SET status = 'waiting', updated_at = @now
         WHERE status = 'pending' AND (expires_at IS NULL OR expires_at > @nowMs) ${filter} RETURNING task_id`,
      ).all({ now: nowIso, nowMs, ids: JSON.stringify(taskIds ?? []) }) as { task_id: string }[];
      for (const { task_id } of rows) this.event(task_id, 'pending', 'waiting', 'armed', actor, nowIso);
      const ids = rows.map((r) => r.task_id);
      this.noteArmed(ids);
      return ids;
    });
  }

  claim(taskId: string, options: ClaimOptions): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    return this.write(() => this.claimRow(taskId, options, nowMs));
  }

  /** claim() inside the caller's transaction (claimDue claims a batch in one). */
  protected claimRow(taskId: string, options: ClaimOptions, nowMs: number): TaskRecord | null {
    const c = claimChanges(options, nowMs);
    const row = this.transition(taskId, 'waiting', 'running', c.set, c.why, options.owner, nowMs, c.guard, c.guardParams);
    if (!row) return null;
    const task = rowToTask(row);
    this.statement('INSERT OR REPLACE INTO task_attempts (task_id, attempt, req_id, owner, started_at) VALUES (?, ?, ?, ?, ?)').run(
      taskId,
      task.attempt,
      requestId(task),
      options.owner,
      iso(nowMs),
    );
    return task;
  }

  complete(taskId: string, attempt: number, result: unknown, actor: string): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    return this.grouped.run(() => {
      const c = completionChanges(this.row(taskId), result, nowMs, this.zone);
      return this.endRunning(taskId, attempt, c.to, c.set, c.why, actor, nowMs, c.outcome);
    });
  }

  fail(taskId: string, attempt: number, error: string, actor: string): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    const c = failureChanges(error, nowMs);
    return this.grouped.run(() => this.endRunning(taskId, attempt, 'failed', c.set, c.why, actor, nowMs, c.outcome));
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
    return this.grouped.run(() => this.endRunning(taskId, attempt, 'waiting', c.set, c.why, actor, nowMs, c.outcome));
  }

  putBack(taskId: string, attempt: number, why: string, actor: string): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    return this.grouped.run(() => {
      const current = this.row(taskId);
      if (!current) return null;
      const c = putBackChanges(current, attempt, why, nowMs);
      const row = this.transition(taskId, 'running', 'waiting', c.set, c.why, actor, nowMs, c.guard, c.guardParams);
      if (!row) return null;
      this.statement('DELETE FROM task_attempts WHERE task_id = ? AND attempt = ?').run(taskId, attempt);
      return rowToTask(row);
    });
  }

  cancel(taskId: string, reason: string, actor: string): Promise<TaskRecord> {
    const nowMs = this.clock();
    return this.write(() => {
      const c = cancelChanges(this.existingRow(taskId), reason, nowMs);
      const row = this.transition(taskId, c.from, 'cancelled', c.set, c.why, actor, nowMs);
      if (!row) throw new InvalidStateError(`task ${taskId} changed while it was being cancelled; look again`);
      return rowToTask(row);
    });
  }

  /** `aics task retry` (redriveChanges says what it does). */
  redrive(taskId: string, reason: string, actor: string): Promise<TaskRecord> {
    const nowMs = this.clock();
    return this.write(() => {
      const c = redriveChanges(this.existingRow(taskId), reason, nowMs);
      const row = this.transition(taskId, 'failed', 'waiting', c.set, c.why, actor, nowMs);
      if (!row) throw new InvalidStateError(`task ${taskId} changed while it was being retried; look again`);
      return rowToTask(row);
    });
  }

  /**
   * Gives a time_reach task a new time (e.g. one adopted from the Python system's tasks.db without any): due then,
   * expiring timeout_hours after that. Only before it has run (pending or waiting).
   */
  reschedule(taskId: string, time: string, actor: string): Promise<TaskRecord> {
    const nowMs = this.clock();
    return this.write(() => {
      const c = rescheduleChanges(this.existingRow(taskId), time, nowMs, this.zone);
      const nowIso = iso(nowMs);
      this.statement(
        `UPDATE tasks SET trigger_json = @trigger, trigger_time = @time, payload = @payload, due_at = @due, expires_at = @expires,
           error_message = NULL, updated_at = @now WHERE task_id = @id`,
      ).run({
        id: taskId,
        trigger: c.trigger_json,
        time: c.trigger_time,
        payload: c.payload,
        due: c.due_at,
        expires: c.expires_at,
        now: nowIso,
      });
      this.event(taskId, c.from, c.from, c.why, actor, nowIso);
      return rowToTask(this.row(taskId)!);
    });
  }

  async expire(actor: string): Promise<string[]> {
    const nowMs = this.clock();
    // INDEXED BY: see dueTasks.
    if (
      !(await this.exists(
        `SELECT 1 FROM tasks INDEXED BY tasks_expiry WHERE status IN ('pending', 'waiting') AND expires_at <= ? LIMIT 1`,
        nowMs,
      ))
    ) {
      return [];
    }
    return this.write(() => {
      const due = this.statement(
        `SELECT task_id, status, timeout_hours FROM tasks INDEXED BY tasks_expiry WHERE status IN ('pending', 'waiting') AND expires_at <= ?`,
      ).all(nowMs) as { task_id: string; status: TaskStatus; timeout_hours: number }[];
      const expired: string[] = [];
      for (const t of due) {
        const why = `not triggered within timeout_hours (${t.timeout_hours})`;
        const row = this.transition(t.task_id, t.status, 'expired', { error_message: why, completed_at: iso(nowMs) }, why, actor, nowMs);
        if (row) expired.push(t.task_id);
      }
      return expired;
    });
  }

  /** Extends the lease of a running attempt; false when the task is no longer ours. */
  renewLease(taskId: string, attempt: number, owner: string, leaseMs: number): Promise<boolean> {
    const nowMs = this.clock();
    return this.grouped.run(
      () =>
        this.statement(
          `UPDATE tasks SET lease_expires_at = ? WHERE task_id = ? AND status = 'running' AND attempt = ? AND lease_owner = ?`,
        ).run(nowMs + leaseMs, taskId, attempt, owner).changes === 1,
    );
  }

  /**
   * Running tasks whose lease ran out (their daemon died mid-action) go back to waiting, due now. The retry keeps
   * the same req_id, so a bridge that saw the first send does not deliver it twice.
   */
  async recoverLeases(actor: string, deadOwners: readonly string[] = []): Promise<string[]> {
    const nowMs = this.clock();
    const dead = JSON.stringify(deadOwners);
    const where = `status = 'running' AND (lease_expires_at <= ? OR lease_owner IN (SELECT value FROM json_each(?)))`;
    if (!(await this.exists(`SELECT 1 FROM tasks WHERE ${where} LIMIT 1`, nowMs, dead))) return [];
    return this.write(() => {
      const stale = this.statement(`SELECT task_id, attempt, lease_owner, lease_expires_at FROM tasks WHERE ${where}`).all(nowMs, dead) as {
        task_id: string;
        attempt: number;
        lease_owner: string | null;
        lease_expires_at: number | null;
      }[];
      const recovered: string[] = [];
      for (const t of stale) {
        const lapsed = t.lease_expires_at !== null && t.lease_expires_at <= nowMs ? 'expired' : 'is held by a dead process';
        const why = `lease of ${t.lease_owner ?? '?'} ${lapsed}: attempt ${t.attempt} in doubt, retrying`;
        if (this.endRunning(t.task_id, t.attempt, 'waiting', { due_at: nowMs }, why, actor, nowMs, { name: 'lease_expired', error: why })) {
          recovered.push(t.task_id);
        }
      }
      return recovered;
    });
  }

  /**
   * claim() inside a transaction the caller already holds on this connection: a customer's message is recorded,
   * its tasks claimed and it is marked handled in one commit (SqliteInbound.take).
   */
  claimInTransaction(taskId: string, options: ClaimOptions): TaskRecord | null {
    if (!this.db.inTransaction) throw new Error('claimInTransaction needs a transaction on this connection');
    return this.claimRow(taskId, options, this.clock());
  }
}
