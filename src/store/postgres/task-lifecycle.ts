/**
 * The task lifecycle in the PostgreSQL store: receive, arm, claim, and every way a claim ends (complete, fail,
 * retry, put back, lease recovery), plus what operators do (cancel, redrive, reschedule) and expiry. Each operation
 * is one transaction; each status change one guarded UPDATE … RETURNING (task-base.ts). Batches another daemon may
 * be taking at the same moment (expiry, lease recovery) are read FOR UPDATE SKIP LOCKED: each row goes to one.
 */
import { InvalidStateError } from '../../errors.js';
import {
  CANCELLABLE_STATUSES,
  canonicalJson,
  computeDeadlines,
  nextRunAfter,
  requestId,
  type TaskPayload,
  type TaskStatus,
  type Trigger,
} from '../../tasks/index.js';
import type { ClaimOptions, ReceiveResult, TaskRecord } from '../ports/tasks.js';
import { iso, payloadToColumns, rowToTask, safeParse, SqlExpression, type TaskRow } from '../rows.js';
import { rowsOf } from './repository.js';
import { named } from './sql.js';
import { PgTaskBase } from './task-base.js';

type Row = TaskRow & Record<string, unknown>;

export abstract class PgTaskLifecycle extends PgTaskBase {
  receive(payload: TaskPayload, actor: string): Promise<ReceiveResult> {
    const nowMs = this.clock();
    let deadlines;
    try {
      deadlines = computeDeadlines(payload, nowMs, this.zone);
    } catch (error) {
      return Promise.reject(error);
    }
    const columns = payloadToColumns(payload, deadlines.dueAtMs, deadlines.expiresAtMs, iso(nowMs));
    const names = Object.keys(columns);
    const insert = named(
      `INSERT INTO tasks (${names.join(', ')}, status) VALUES (${names.map((n) => `@${n}`).join(', ')}, 'pending')
       ON CONFLICT (task_id) DO NOTHING RETURNING *`,
      columns,
    );
    return this.write(async (q) => {
      const [inserted] = await rowsOf<Row>(q, insert.text, insert.values);
      if (inserted) {
        await this.event(q, payload.task_id, null, 'pending', '任务接收', actor, columns.created_at);
        return { task: rowToTask(inserted), created: true };
      }
      const existing = (await this.row(q, payload.task_id))!;
      if (existing.payload !== columns.payload) {
        throw new InvalidStateError(`task ${payload.task_id} already exists with a different payload (status ${existing.status})`);
      }
      return { task: rowToTask(existing), created: false };
    });
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
    return this.write(async (q) => {
      const row = await this.transition(
        q,
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
      await q.query(
        `INSERT INTO task_attempts (task_id, attempt, req_id, owner, started_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (task_id, attempt) DO UPDATE SET req_id = EXCLUDED.req_id, owner = EXCLUDED.owner, started_at = EXCLUDED.started_at,
           ended_at = NULL, outcome = NULL, error = NULL`,
        [taskId, task.attempt, requestId(task), options.owner, iso(nowMs)],
      );
      return task;
    });
  }

  complete(taskId: string, attempt: number, result: unknown, actor: string): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    return this.write(async (q) => {
      const current = await this.row(q, taskId);
      const resultText = result === undefined ? null : canonicalJson(result);
      // A recurring (cron) task is never done: each successful run puts it back to wait for the next occurrence.
      const next = current ? nextRunAfter(JSON.parse(current.trigger_json) as Trigger, nowMs, this.zone) : null;
      const done = { name: 'completed', error: null };
      if (next === null) {
        const set = { result: resultText, completed_at: iso(nowMs), error_message: null };
        return this.endRunning(q, taskId, attempt, 'completed', set, '任务完成', actor, nowMs, done);
      }
      const set = {
        result: resultText,
        completed_at: iso(nowMs),
        due_at: next,
        retry_count: 0,
        error_message: null,
        target_acc_id: null,
        target_from_id: null,
        target_from_name: null,
        run_no: new SqlExpression('run_no + 1'),
      };
      return this.endRunning(q, taskId, attempt, 'waiting', set, `任务完成; next run ${iso(next)}`, actor, nowMs, done);
    });
  }

  fail(taskId: string, attempt: number, error: string, actor: string): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    const set = { error_message: error, completed_at: iso(nowMs) };
    return this.write((q) =>
      this.endRunning(q, taskId, attempt, 'failed', set, `任务失败: ${error}`, actor, nowMs, { name: 'failed', error }),
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
    const set = {
      error_message: error,
      due_at: retryAtMs,
      // An outcome in doubt is repeated with the same req_id: the retry count (and so the req_id) stays.
      retry_count: new SqlExpression(options.sameRequest ? 'retry_count' : 'retry_count + 1'),
    };
    const why = `retry at ${iso(retryAtMs)}${options.sameRequest ? ' (outcome in doubt: same req_id)' : ''}: ${error}`;
    return this.write((q) => this.endRunning(q, taskId, attempt, 'waiting', set, why, actor, nowMs, { name: 'retry', error }));
  }

  putBack(taskId: string, attempt: number, why: string, actor: string): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    return this.write(async (q) => {
      const current = await this.row(q, taskId);
      if (!current) return null;
      const triggered = current.triggered_at ? Date.parse(current.triggered_at) : Number.NaN;
      const dueAt = current.due_at ?? (Number.isFinite(triggered) ? triggered : nowMs);
      const row = await this.transition(
        q,
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
      await q.query('DELETE FROM task_attempts WHERE task_id = $1 AND attempt = $2', [taskId, attempt]);
      return rowToTask(row);
    });
  }

  cancel(taskId: string, reason: string, actor: string): Promise<TaskRecord> {
    const nowMs = this.clock();
    return this.write(async (q) => {
      const current = await this.existingRow(q, taskId);
      const from = current.status as TaskStatus;
      if (!CANCELLABLE_STATUSES.includes(from)) {
        throw new InvalidStateError(
          `task ${taskId} is ${from}: only a task that has not run yet (${CANCELLABLE_STATUSES.join(' or ')}) can be cancelled`,
        );
      }
      const message = reason.trim() || 'cancelled';
      const set = { error_message: message, completed_at: iso(nowMs) };
      const row = await this.transition(q, taskId, from, 'cancelled', set, `任务取消: ${message}`, actor, nowMs);
      if (!row) throw new InvalidStateError(`task ${taskId} changed while it was being cancelled; look again`);
      return rowToTask(row);
    });
  }

  /** `aics task retry`: see the SQLite store's redrive (a new attempt, its retry allowance granted again, due now). */
  redrive(taskId: string, reason: string, actor: string): Promise<TaskRecord> {
    const nowMs = this.clock();
    return this.write(async (q) => {
      const current = await this.existingRow(q, taskId);
      if (current.status !== 'failed') {
        throw new InvalidStateError(`task ${taskId} is ${current.status}: only a failed task can be retried`);
      }
      const allowance = Number((safeParse(current.payload) as { max_retry?: unknown })?.max_retry ?? current.max_retry) || 0;
      const retryCount = current.retry_count + 1;
      const set = {
        retry_count: retryCount,
        max_retry: retryCount + allowance,
        due_at: nowMs,
        expires_at: current.expires_at === null ? null : nowMs + current.timeout_hours * 3_600_000,
        error_message: null,
        completed_at: null,
      };
      const why = `任务重试 (manual, as attempt ${retryCount + 1})${reason ? `: ${reason}` : ''}`;
      const row = await this.transition(q, taskId, 'failed', 'waiting', set, why, actor, nowMs);
      if (!row) throw new InvalidStateError(`task ${taskId} changed while it was being retried; look again`);
      return rowToTask(row);
    });
  }

  /** A pending/waiting time_reach task gets a new time: due then, expiring timeout_hours after that. */
  reschedule(taskId: string, time: string, actor: string): Promise<TaskRecord> {
    const nowMs = this.clock();
    return this.write(async (q) => {
      const current = await this.existingRow(q, taskId);
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
      const payload = safeParse(current.payload);
      const nowIso = iso(nowMs);
      const [row] = await rowsOf<Row>(
        q,
        `UPDATE tasks SET trigger_json = $2, trigger_time = $3, payload = $4, due_at = $5, expires_at = $6,
           error_message = NULL, updated_at = $7 WHERE task_id = $1 RETURNING *`,
        [
          taskId,
          canonicalJson(trigger),
          trigger.time,
          // an unreadable payload is rebuilt from the trigger alone
          canonicalJson({ ...(payload && typeof payload === 'object' ? payload : {}), trigger }),
          dueAtMs,
          expiresAtMs,
          nowIso,
        ],
      );
      await this.event(q, taskId, from, from, `rescheduled: due at ${iso(dueAtMs!)}`, actor, nowIso);
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
