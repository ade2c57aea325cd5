/**
 * The task lifecycle in the SQLite store: receive, arm, claim, and every way a claim ends (complete, fail, retry,
 * put back, lease recovery), plus what operators do (cancel, redrive, reschedule) and expiry. Each operation is one
 * IMMEDIATE transaction: the write lock is taken up front, so two processes never deadlock upgrading a read lock.
 */
import { InvalidStateError } from '../errors.js';
import {
  CANCELLABLE_STATUSES,
  canonicalJson,
  computeDeadlines,
  nextRunAfter,
  requestId,
  type TaskPayload,
  type TaskStatus,
  type Trigger,
} from '../tasks/index.js';
import type { ClaimOptions, ReceiveResult, TaskRecord } from './ports/tasks.js';
import { iso, payloadToColumns, rowToTask, safeParse, SqlExpression } from './rows.js';
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
    return this.receives.run(() => {
      const names = Object.keys(columns);
      const inserted = this.statement(
        `INSERT INTO tasks (${names.join(', ')}, status) VALUES (${names.map((n) => `@${n}`).join(', ')}, 'pending')
         ON CONFLICT (task_id) DO NOTHING`,
      ).run(columns);
      if (inserted.changes === 1) {
        this.event(payload.task_id, null, 'pending', '任务接收', actor, columns.created_at);
        return { task: rowToTask(this.row(payload.task_id)!), created: true };
      }
      const existing = this.row(payload.task_id)!;
      if (existing.payload !== columns.payload) {
        throw new InvalidStateError(`task ${payload.task_id} already exists with a different payload (status ${existing.status})`);
      }
      return { task: rowToTask(existing), created: false };
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
      this.armedHere += rows.length;
      return rows.map((r) => r.task_id);
    });
  }

  claim(taskId: string, options: ClaimOptions): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    return this.write(() => {
      const row = this.transition(
        taskId,
        'waiting',
        'running',
        {
          // The first firing is when the trigger was met; a retry keeps it.
          triggered_at: new SqlExpression('COALESCE(triggered_at, @__now)'),
          attempt: new SqlExpression('attempt + 1'),
          lease_owner: options.owner,
          lease_expires_at: nowMs + options.leaseMs,
          // A retry goes to whoever fired the first attempt; a clock trigger to the task's own customer.
          ...(options.target
            ? {
                target_acc_id: options.target.acc_id,
                target_from_id: options.target.from_id,
                target_from_name: options.target.from_name ?? null,
                target_msg_id: options.target.msg_id ?? null,
              }
            : {
                target_acc_id: new SqlExpression('COALESCE(target_acc_id, acc_id)'),
                target_from_id: new SqlExpression('COALESCE(target_from_id, customer_id, specified_customer_id)'),
                target_from_name: new SqlExpression('COALESCE(target_from_name, customer_name)'),
              }),
        },
        options.reason ?? '任务触发',
        options.owner,
        nowMs,
        // Expiry wins: a task past its timeout cannot be claimed, even in the same second. A retry waits its backoff.
        'AND (expires_at IS NULL OR expires_at > @__x0) AND (due_at IS NULL OR due_at <= @__x0)',
        [nowMs],
      );
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
    });
  }

  complete(taskId: string, attempt: number, result: unknown, actor: string): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    return this.write(() => {
      const current = this.row(taskId);
      const resultText = result === undefined ? null : canonicalJson(result);
      // A recurring (cron) task is never done: each successful run puts it back to wait for the next occurrence.
      const next = current ? nextRunAfter(JSON.parse(current.trigger_json) as Trigger, nowMs, this.zone) : null;
      if (next !== null) {
        return this.endRunning(
          taskId,
          attempt,
          'waiting',
          {
            result: resultText,
            completed_at: iso(nowMs),
            due_at: next,
            retry_count: 0,
            error_message: null,
            target_acc_id: null,
            target_from_id: null,
            target_from_name: null,
            run_no: new SqlExpression('run_no + 1'),
          },
          `任务完成; next run ${iso(next)}`,
          actor,
          nowMs,
          { name: 'completed', error: null },
        );
      }
      return this.endRunning(
        taskId,
        attempt,
        'completed',
        { result: resultText, completed_at: iso(nowMs), error_message: null },
        '任务完成',
        actor,
        nowMs,
        {
          name: 'completed',
          error: null,
        },
      );
    });
  }

  fail(taskId: string, attempt: number, error: string, actor: string): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    return this.write(() =>
      this.endRunning(taskId, attempt, 'failed', { error_message: error, completed_at: iso(nowMs) }, `任务失败: ${error}`, actor, nowMs, {
        name: 'failed',
        error,
      }),
    );
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
    return this.write(() => {
      const current = this.row(taskId);
      return this.endRunning(
        taskId,
        attempt,
        'waiting',
        {
          error_message: error,
          due_at: retryAtMs,
          // An outcome in doubt is repeated with the same req_id: the retry count (and so the req_id) stays.
          retry_count: (current?.retry_count ?? 0) + (options.sameRequest ? 0 : 1),
        },
        `retry at ${iso(retryAtMs)}${options.sameRequest ? ' (outcome in doubt: same req_id)' : ''}: ${error}`,
        actor,
        nowMs,
        { name: 'retry', error },
      );
    });
  }

  putBack(taskId: string, attempt: number, why: string, actor: string): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    return this.write(() => {
      const current = this.row(taskId);
      if (!current) return null;
      const triggered = current.triggered_at ? Date.parse(current.triggered_at) : Number.NaN;
      const dueAt = current.due_at ?? (Number.isFinite(triggered) ? triggered : nowMs);
      const row = this.transition(
        taskId,
        'running',
        'waiting',
        { due_at: dueAt, lease_owner: null, lease_expires_at: null, attempt: new SqlExpression('attempt - 1') },
        `not sent, waits for the bridge: ${why}`,
        actor,
        nowMs,
        'AND attempt = @__x0',
        [attempt],
      );
      if (!row) return null;
      this.statement('DELETE FROM task_attempts WHERE task_id = ? AND attempt = ?').run(taskId, attempt);
      return rowToTask(row);
    });
  }

  cancel(taskId: string, reason: string, actor: string): Promise<TaskRecord> {
    const nowMs = this.clock();
    return this.write(() => {
      const current = this.existingRow(taskId);
      const from = current.status as TaskStatus;
      if (!CANCELLABLE_STATUSES.includes(from)) {
        throw new InvalidStateError(
          `task ${taskId} is ${from}: only a task that has not run yet (${CANCELLABLE_STATUSES.join(' or ')}) can be cancelled`,
        );
      }
      const message = reason.trim() || 'cancelled';
      const row = this.transition(
        taskId,
        from,
        'cancelled',
        { error_message: message, completed_at: iso(nowMs) },
        `任务取消: ${message}`,
        actor,
        nowMs,
      );
      if (!row) throw new InvalidStateError(`task ${taskId} changed while it was being cancelled; look again`);
      return rowToTask(row);
    });
  }

  /**
   * `aics task retry`: a failed task goes back to waiting, due now, as a new attempt (a new req_id, so a bridge
   * that cached the failed send does not answer from its cache), with its retry allowance (max_retry of the
   * original payload) granted again and its timeout window counted from now. Its events, attempts and target
   * customer are kept; the next outcome sends a new callback.
   */
  redrive(taskId: string, reason: string, actor: string): Promise<TaskRecord> {
    const nowMs = this.clock();
    return this.write(() => {
      const current = this.existingRow(taskId);
      if (current.status !== 'failed') {
        throw new InvalidStateError(`task ${taskId} is ${current.status}: only a failed task can be retried`);
      }
      const allowance = Number((safeParse(current.payload) as { max_retry?: unknown })?.max_retry ?? current.max_retry) || 0;
      const retryCount = current.retry_count + 1;
      const row = this.transition(
        taskId,
        'failed',
        'waiting',
        {
          retry_count: retryCount,
          max_retry: retryCount + allowance,
          due_at: nowMs,
          expires_at: current.expires_at === null ? null : nowMs + current.timeout_hours * 3_600_000,
          error_message: null,
          completed_at: null,
        },
        `任务重试 (manual, as attempt ${retryCount + 1})${reason ? `: ${reason}` : ''}`,
        actor,
        nowMs,
      );
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
      const current = this.existingRow(taskId);
      if (current.trigger_type !== 'time_reach') {
        throw new InvalidStateError(`task ${taskId} has a ${current.trigger_type} trigger: only a time_reach task can be rescheduled`);
      }
      const from = current.status as TaskStatus;
      if (!CANCELLABLE_STATUSES.includes(from)) {
        throw new InvalidStateError(
          `task ${taskId} is ${from}: only a task that has not run yet (${CANCELLABLE_STATUSES.join(' or ')}) can be rescheduled`,
        );
      }
      const trigger = { type: 'time_reach' as const, time: time.trim() };
      const { dueAtMs, expiresAtMs } = computeDeadlines({ trigger, timeout_hours: current.timeout_hours } as TaskPayload, nowMs, this.zone);
      let payload: Record<string, unknown> = {};
      try {
        payload = JSON.parse(current.payload) as Record<string, unknown>;
      } catch {
        // an unreadable payload is rebuilt from the trigger alone
      }
      const nowIso = iso(nowMs);
      this.statement(
        `UPDATE tasks SET trigger_json = @trigger, trigger_time = @time, payload = @payload, due_at = @due, expires_at = @expires,
           error_message = NULL, updated_at = @now WHERE task_id = @id`,
      ).run({
        id: taskId,
        trigger: canonicalJson(trigger),
        time: trigger.time,
        payload: canonicalJson({ ...payload, trigger }),
        due: dueAtMs,
        expires: expiresAtMs,
        now: nowIso,
      });
      this.event(taskId, from, from, `rescheduled: due at ${iso(dueAtMs!)}`, actor, nowIso);
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
    return this.write(
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
}
