/**
 * The SQLite implementation of TaskStore. Each operation is one IMMEDIATE transaction (it takes the write lock up
 * front, so two processes never deadlock upgrading a read lock), and each status change is one UPDATE guarded by
 * the old status: whoever changes 0 rows lost the race.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidStateError, NotFoundError, ValidationError } from '../errors.js';
// The task model's modules, not its index: the index loads the schema (zod), and every command opens the store.
import { canonicalJson } from '../tasks/canonical.js';
import { computeDeadlines, nextCronRun } from '../tasks/deadlines.js';
import { requestId } from '../tasks/request-id.js';
import { CANCELLABLE_STATUSES, TASK_STATUSES, isTerminal } from '../tasks/status.js';
import type { TaskPayload, TaskStatus } from '../tasks/index.js';
import { openDatabase, schemaVersion, translateSqliteError, type Db, type OpenOptions } from './connection.js';
import { SqliteRepository } from './repository.js';
import { iso, payloadToColumns, rowToTask, type TaskRow } from './rows.js';
import type {
  ClaimOptions,
  IntegrityReport,
  ListQuery,
  ReceiveResult,
  StoreStats,
  TaskEvent,
  TaskPage,
  TaskAttempt,
  TaskRecord,
  TaskStore,
} from './types.js';

export interface SqliteStoreOptions extends OpenOptions {
  /** Milliseconds since the epoch; tests pass a fake clock. */
  clock?: () => number;
  /** IANA zone in which `time_reach` wall-clock times and cron expressions are read. */
  timeZone?: string;
}

export const MAX_PAGE_SIZE = 200;

/** A column value computed by SQL inside the guarded UPDATE, e.g. `attempt + 1`. */
class SqlExpression {
  constructor(readonly text: string) {}
}

export class SqliteTaskStore extends SqliteRepository implements TaskStore {
  private readonly zone: string;
  /** Tasks armed through this connection; with data_version it tells when the waiting set may have grown. */
  private armedHere = 0;

  constructor(db: Db, file: string, options: SqliteStoreOptions = {}) {
    super(db, resolve(file), options.clock ?? Date.now);
    this.zone = options.timeZone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  }

  static open(file: string, options: SqliteStoreOptions = {}): SqliteTaskStore {
    return new SqliteTaskStore(openDatabase(file, options), file, options);
  }

  // ---- helpers -------------------------------------------------------------------------------------------------

  private row(taskId: string): TaskRow | undefined {
    return this.statement('SELECT * FROM tasks WHERE task_id = ?').get(taskId) as TaskRow | undefined;
  }

  /** The task an operator named (cancel, retry, reschedule); not found names this database. */
  private existingRow(taskId: string): TaskRow {
    const current = this.row(taskId);
    if (!current) throw new NotFoundError(`task ${taskId} not found in ${this.file}`);
    return current;
  }

  private event(taskId: string, from: TaskStatus | null, to: TaskStatus, reason: string | null, actor: string, atIso: string) {
    this.statement('INSERT INTO task_events (task_id, at, from_status, to_status, reason, actor) VALUES (?, ?, ?, ?, ?, ?)')
      .run(taskId, atIso, from, to, reason, actor);
  }

  /** The callback to Tianwang for a terminal status, written in the same transaction as the change. */
  private enqueueCallback(row: TaskRow, nowMs: number) {
    const body = {
      event_id: `${row.task_id}:${row.status}:${row.attempt}`,
      task_id: row.task_id,
      status: row.status,
      customer_id: row.customer_id,
      triggered_at: row.triggered_at,
      completed_at: row.completed_at,
      result: row.result === null ? null : safeParse(row.result),
      error_message: row.error_message,
      attempts: row.attempt,
    };
    this.statement(
      `INSERT INTO outbox (event_id, kind, task_id, payload, created_at, next_attempt_at)
       VALUES (?, 'callback', ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
    ).run(body.event_id, row.task_id, JSON.stringify(body), iso(nowMs), nowMs);
  }

  /**
   * The one way a status changes: an UPDATE guarded by the old status (and, for a running task, the attempt), an
   * event, and the callback for a terminal status. Returns null when the guard did not hold.
   */
  private transition(
    taskId: string,
    from: TaskStatus,
    to: TaskStatus,
    set: Record<string, unknown>,
    reason: string | null,
    actor: string,
    nowMs: number,
    extraGuard = '',
    extraParams: unknown[] = [],
  ): TaskRow | null {
    const nowIso = iso(nowMs);
    const columns: Record<string, unknown> = { ...set, status: to, updated_at: nowIso };
    const assignments: string[] = [];
    const params: Record<string, unknown> = { __id: taskId, __from: from, __now: nowIso };
    extraParams.forEach((v, i) => (params[`__x${i}`] = v));
    for (const [column, value] of Object.entries(columns)) {
      if (value instanceof SqlExpression) {
        assignments.push(`${column} = ${value.text}`);
      } else {
        assignments.push(`${column} = @${column}`);
        params[column] = value;
      }
    }
    const row = this.statement(`UPDATE tasks SET ${assignments.join(', ')} WHERE task_id = @__id AND status = @__from ${extraGuard} RETURNING *`)
      .get(params) as TaskRow | undefined;
    if (!row) return null;
    this.event(taskId, from, to, reason, actor, nowIso);
    if (isTerminal(to)) this.enqueueCallback(row, nowMs);
    return row;
  }

  private endAttempt(taskId: string, attempt: number, outcome: string, error: string | null, nowMs: number) {
    this.statement('UPDATE task_attempts SET ended_at = ?, outcome = ?, error = ? WHERE task_id = ? AND attempt = ?')
      .run(iso(nowMs), outcome, error, taskId, attempt);
  }

  /**
   * Ends a running attempt: running → `to`, guarded by the attempt number (a stale worker cannot end a newer
   * attempt), the lease released, the attempt's outcome recorded. Null when the guard did not hold.
   */
  private endRunning(
    taskId: string,
    attempt: number,
    to: TaskStatus,
    set: Record<string, unknown>,
    reason: string,
    actor: string,
    nowMs: number,
    outcome: { name: string; error: string | null },
  ): TaskRecord | null {
    const row = this.transition(taskId, 'running', to, { ...set, lease_owner: null, lease_expires_at: null }, reason, actor, nowMs, 'AND attempt = @__x0', [
      attempt,
    ]);
    if (!row) return null;
    this.endAttempt(taskId, attempt, outcome.name, outcome.error, nowMs);
    return rowToTask(row);
  }

  // ---- intents -------------------------------------------------------------------------------------------------

  receive(payload: TaskPayload, actor: string): Promise<ReceiveResult> {
    const nowMs = this.clock();
    let deadlines;
    try {
      deadlines = computeDeadlines(payload, nowMs, this.zone);
    } catch (error) {
      return Promise.reject(error);
    }
    const columns = payloadToColumns(payload, deadlines.dueAtMs, deadlines.expiresAtMs, iso(nowMs));
    return this.write(() => {
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
      this.statement('INSERT OR REPLACE INTO task_attempts (task_id, attempt, req_id, owner, started_at) VALUES (?, ?, ?, ?, ?)')
        .run(taskId, task.attempt, requestId(task), options.owner, iso(nowMs));
      return task;
    });
  }

  complete(taskId: string, attempt: number, result: unknown, actor: string): Promise<TaskRecord | null> {
    const nowMs = this.clock();
    return this.write(() => {
      const current = this.row(taskId);
      const resultText = result === undefined ? null : canonicalJson(result);
      // A cron task is never done: each successful run puts it back to wait for the next occurrence.
      if (current?.trigger_type === 'cron') {
        const { expression } = JSON.parse(current.trigger_json) as { expression: string };
        const next = nextCronRun(expression, nowMs, this.zone);
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
      return this.endRunning(taskId, attempt, 'completed', { result: resultText, completed_at: iso(nowMs), error_message: null }, '任务完成', actor, nowMs, {
        name: 'completed',
        error: null,
      });
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
      const row = this.transition(taskId, from, 'cancelled', { error_message: message, completed_at: iso(nowMs) }, `任务取消: ${message}`, actor, nowMs);
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
        throw new InvalidStateError(`task ${taskId} is ${from}: only a task that has not run yet (${CANCELLABLE_STATUSES.join(' or ')}) can be rescheduled`);
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
    if (!(await this.exists(`SELECT 1 FROM tasks INDEXED BY tasks_expiry WHERE status IN ('pending', 'waiting') AND expires_at <= ? LIMIT 1`, nowMs))) {
      return [];
    }
    return this.write(() => {
      const due = this.statement(
          `SELECT task_id, status, timeout_hours FROM tasks INDEXED BY tasks_expiry WHERE status IN ('pending', 'waiting') AND expires_at <= ?`,
        )
        .all(nowMs) as { task_id: string; status: TaskStatus; timeout_hours: number }[];
      const expired: string[] = [];
      for (const t of due) {
        const why = `not triggered within timeout_hours (${t.timeout_hours})`;
        const row = this.transition(t.task_id, t.status, 'expired', { error_message: why, completed_at: iso(nowMs) }, why, actor, nowMs);
        if (row) expired.push(t.task_id);
      }
      return expired;
    });
  }

  get(taskId: string): Promise<TaskRecord | null> {
    return this.read(() => {
      const row = this.row(taskId);
      return row ? rowToTask(row) : null;
    });
  }

  events(taskId: string): Promise<TaskEvent[]> {
    return this.read(
      () => this.statement('SELECT * FROM task_events WHERE task_id = ? ORDER BY id').all(taskId) as TaskEvent[],
    );
  }

  list(query: ListQuery): Promise<TaskPage> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    if (!Number.isInteger(page) || page < 1) return Promise.reject(new ValidationError('page: must be a whole number ≥ 1', 'page'));
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      return Promise.reject(new ValidationError(`page_size: must be a whole number from 1 to ${MAX_PAGE_SIZE}`, 'page_size'));
    }
    return this.read(() => {
      const where: string[] = [];
      const params: Record<string, unknown> = {};
      if (query.status) {
        where.push('status = @status');
        params.status = query.status;
      }
      if (query.customerId) {
        where.push('(customer_id = @customer OR specified_customer_id = @customer)');
        params.customer = query.customerId;
      }
      if (query.triggerType) {
        where.push('trigger_type = @trigger');
        params.trigger = query.triggerType;
      }
      const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const { total } = this.statement(`SELECT COUNT(*) AS total FROM tasks ${clause}`).get(params) as { total: number };
      const rows = this.statement(`SELECT * FROM tasks ${clause} ORDER BY created_at DESC, rowid DESC LIMIT @limit OFFSET @offset`)
        .all({ ...params, limit: pageSize, offset: (page - 1) * pageSize }) as TaskRow[];
      return { total, page, page_size: pageSize, items: rows.map(rowToTask) };
    });
  }

  stats(): Promise<StoreStats> {
    return this.read(() => {
      const byStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
      const byTrigger: Record<string, number> = {};
      let total = 0;
      // One pass over the (status, trigger_type) index gives both counts, without touching the table.
      const counts = this.statement(
        'SELECT status, trigger_type, COUNT(*) AS n FROM tasks INDEXED BY tasks_status_trigger GROUP BY status, trigger_type',
      ).all() as { status: string; trigger_type: string; n: number }[];
      for (const r of counts) {
        byStatus[r.status as TaskStatus] = (byStatus[r.status as TaskStatus] ?? 0) + r.n;
        byTrigger[r.trigger_type] = (byTrigger[r.trigger_type] ?? 0) + r.n;
        total += r.n;
      }
      // Pending tasks are few (a daemon arms them within a second): find them by status, then take the oldest.
      const oldest = this.statement(
        `SELECT task_id, created_at FROM tasks INDEXED BY tasks_status_trigger WHERE status = 'pending' ORDER BY created_at, rowid LIMIT 1`,
      ).get() as { task_id: string; created_at: string } | undefined;
      const nextDue = this.statement(
        `SELECT task_id, due_at FROM tasks INDEXED BY tasks_due WHERE status IN ('pending', 'waiting') AND due_at IS NOT NULL ORDER BY due_at LIMIT 1`,
      )
        .get() as { task_id: string; due_at: number } | undefined;
      const { backlog } = this.statement('SELECT COUNT(*) AS backlog FROM outbox WHERE delivered_at IS NULL').get() as {
        backlog: number;
      };
      return {
        file: this.file,
        schema_version: schemaVersion(this.db),
        total,
        by_status: byStatus,
        by_trigger_type: byTrigger,
        oldest_pending: oldest ?? null,
        next_due: nextDue ? { task_id: nextDue.task_id, due_at: iso(nextDue.due_at) } : null,
        outbox_backlog: backlog,
        file_bytes: fileSize(this.file),
        wal_bytes: fileSize(`${this.file}-wal`),
      };
    });
  }

  async backup(destination: string): Promise<{ file: string; bytes: number }> {
    const target = resolve(destination);
    if (target === this.file) throw new ValidationError('FILE: the backup must not be the database itself', 'FILE');
    mkdirSync(dirname(target), { recursive: true });
    try {
      // SQLite's online backup API: a consistent copy while other processes keep writing.
      await this.db.backup(target);
    } catch (error) {
      throw translateSqliteError(error, target);
    }
    return { file: target, bytes: fileSize(target) };
  }

  /** PRAGMA integrity_check; `quick` runs quick_check (no index contents: linear, for start-up). */
  check(options: { quick?: boolean } = {}): Promise<IntegrityReport> {
    return this.read(() => {
      const pragma = options.quick ? 'quick_check' : 'integrity_check';
      const rows = this.db.pragma(pragma) as Record<string, string>[];
      const problems = rows.map((r) => r[pragma]!);
      return { ok: problems.length === 1 && problems[0] === 'ok', problems };
    });
  }

  // ---- what the engine and scheduler ask --------------------------------------------------------------------------

  /**
   * Moves when new tasks may have become waiting: this process armed some, or another process committed anything
   * (PRAGMA data_version). Lets the engine keep the any-customer tasks in memory between those moments.
   */
  waitingSetToken(): string {
    return `${this.db.pragma('data_version', { simple: true }) as number}:${this.armedHere}`;
  }

  /**
   * Waiting message-triggered tasks that name this customer (specified_customer_reply, customer_payment with a
   * customer_id), ready to fire now: not in a retry backoff, not expired. Highest priority, then oldest, first.
   */
  waitingForCustomer(fromId: string): Promise<TaskRecord[]> {
    const nowMs = this.clock();
    return this.read(() =>
      (
        this.statement(
            `SELECT * FROM tasks INDEXED BY tasks_specified_customer
             WHERE specified_customer_id = ? AND status = 'waiting' AND due_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
             ORDER BY priority_rank DESC, rowid`,
          )
          .all(fromId, nowMs) as TaskRow[]
      ).map(rowToTask),
    );
  }

  /** Waiting message-triggered tasks that any customer can fire (customer_reply, customer_keyword, customer_payment). */
  waitingForAnyCustomer(): Promise<TaskRecord[]> {
    return this.read(() =>
      (
        this.statement(
            `SELECT * FROM tasks INDEXED BY tasks_any_customer WHERE specified_customer_id IS NULL AND status = 'waiting' AND due_at IS NULL
             AND trigger_type IN ('customer_reply', 'customer_keyword', 'customer_payment')
             ORDER BY priority_rank DESC, rowid`,
          )
          .all() as TaskRow[]
      ).map(rowToTask),
    );
  }

  /**
   * Waiting tasks whose time has come: time_reach, cron, and retries after their backoff.
   *
   * The scheduler asks this (and nextWakeAt, expire) every second. Without ANALYZE statistics SQLite prefers
   * tasks_status_trigger for `status = 'waiting'`, which walks every waiting task (100 ms and more with 100,000
   * waiting message tasks, the event loop blocked meanwhile), so these queries name their partial index; the
   * `status IN (…)` term is the index's condition, which a query must repeat for SQLite to use it, and `+due_at`
   * sorts the due rows with the LIMIT applied instead of walking the index in order and sorting ties in full.
   */
  dueTasks(limit: number): Promise<TaskRecord[]> {
    const nowMs = this.clock();
    return this.read(() =>
      (
        this.statement(
            `SELECT * FROM tasks INDEXED BY tasks_due
             WHERE due_at <= ? AND status IN ('pending', 'waiting') AND status = 'waiting' AND (expires_at IS NULL OR expires_at > ?)
             ORDER BY due_at, priority_rank DESC, rowid LIMIT ?`,
          )
          .all(nowMs, nowMs, limit) as TaskRow[]
      ).map(rowToTask),
    );
  }

  /** When the scheduler must next wake: the earliest due time or expiry of an open task (ms), or null. Each MIN reads one index entry. */
  nextWakeAt(): Promise<number | null> {
    return this.read(() => {
      const r = this.statement(
          `SELECT MIN(t) AS t FROM (
             SELECT MIN(due_at) AS t FROM tasks INDEXED BY tasks_due WHERE due_at IS NOT NULL AND status IN ('pending', 'waiting')
             UNION ALL SELECT MIN(expires_at) FROM tasks INDEXED BY tasks_expiry WHERE expires_at IS NOT NULL AND status IN ('pending', 'waiting')
             UNION ALL SELECT MIN(lease_expires_at) FROM tasks INDEXED BY tasks_lease WHERE status = 'running')`,
        )
        .get() as { t: number | null };
      return r.t;
    });
  }

  /** The tasks a customer message fired (claimed), e.g. before the daemon handling it died. */
  firedBy(accId: string, msgId: string): Promise<string[]> {
    return this.read(() =>
      (this.statement('SELECT task_id FROM tasks WHERE target_msg_id = ? AND target_acc_id = ? ORDER BY rowid').all(msgId, accId) as { task_id: string }[]).map(
        (r) => r.task_id,
      ),
    );
  }

  /** Who holds the leases of running tasks: lets a restarted daemon find those of dead processes on its host. */
  leaseOwners(): Promise<string[]> {
    return this.read(() =>
      (this.statement(`SELECT DISTINCT lease_owner FROM tasks WHERE status = 'running' AND lease_owner IS NOT NULL`).all() as { lease_owner: string }[]).map(
        (r) => r.lease_owner,
      ),
    );
  }

  /** Extends the lease of a running attempt; false when the task is no longer ours. */
  renewLease(taskId: string, attempt: number, owner: string, leaseMs: number): Promise<boolean> {
    const nowMs = this.clock();
    return this.write(
      () =>
        this.statement(
            `UPDATE tasks SET lease_expires_at = ? WHERE task_id = ? AND status = 'running' AND attempt = ? AND lease_owner = ?`,
          )
          .run(nowMs + leaseMs, taskId, attempt, owner).changes === 1,
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

  attempts(taskId: string): Promise<TaskAttempt[]> {
    return this.read(
      () => this.statement('SELECT * FROM task_attempts WHERE task_id = ? ORDER BY attempt').all(taskId) as TaskAttempt[],
    );
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
