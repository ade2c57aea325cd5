/**
 * The SQLite implementation of the TaskStore port: the lifecycle (sqlite-task-lifecycle.ts) plus the reads that
 * operators, the engine and the scheduler ask. The hot reads name their partial index (see dueTasks).
 */
import { ANY_CUSTOMER_TRIGGER_TYPES, PRIORITY_RANK, TASK_STATUSES, sqlTypeList, type TaskStatus } from '../tasks/index.js';
import { openDatabase, schemaVersion, type Db } from './connection.js';
import {
  MAX_PAGE_SIZE,
  type ClaimScope,
  type ListQuery,
  type StoreStats,
  type TaskAttempt,
  type TaskEvent,
  type TaskPage,
  type AnyCustomerChanges,
  type ClaimDueOptions,
  type TaskRecord,
  type TaskStore,
} from './ports/tasks.js';
import { ValidationError } from '../errors.js';
import { iso, rowToTask, type TaskRow } from './rows.js';
import type { SqliteStoreOptions } from './sqlite-task-base.js';
import { SqliteTaskLifecycle } from './sqlite-task-lifecycle.js';

/** The trigger types any customer can fire, from the registry: a new one is found by the engine without a change here. */
const ANY_CUSTOMER_TYPES_SQL = sqlTypeList(ANY_CUSTOMER_TRIGGER_TYPES);
/** A waiting task any customer can fire, now (the condition of the tasks_any_customer index, repeated). */
const ANY_CUSTOMER_WAITING = `specified_customer_id IS NULL AND status = 'waiting' AND due_at IS NULL AND trigger_type IN (${ANY_CUSTOMER_TYPES_SQL})`;

/** The priorities' ranks, highest first: the order dueTasks reads them in. */
const RANKS_HIGHEST_FIRST = [...new Set(Object.values(PRIORITY_RANK))].sort((a, b) => b - a);

/**
 * The account a task is sent from, as the action runner picks it: its target's (set when a message fired it), else
 * its own, else the one its customer last wrote to; null for a customer never heard from.
 */
const SENDING_ACCOUNT = `COALESCE(target_acc_id, acc_id, (SELECT c.acc_id FROM contacts c INDEXED BY contacts_from
  WHERE c.from_id = COALESCE(tasks.target_from_id, tasks.customer_id) ORDER BY c.last_seen_at DESC LIMIT 1))`;

/**
 * The condition (and its parameters) that keeps a scope's tasks: with `accounts`, a task whose sending account is
 * one of them, or a task with none at all (any daemon sends it through its own); with `shard`, a task whose customer
 * is in the worker's shard (shardCondition).
 */
function scopeSql(scope: ClaimScope | undefined): { sql: string; params: unknown[] } {
  const inShard = shardCondition(scope);
  if (!scope?.accounts) return { sql: inShard, params: [] };
  return {
    sql: ` AND (${SENDING_ACCOUNT} IS NULL OR ${SENDING_ACCOUNT} IN (SELECT value FROM json_each(?)))${inShard}`,
    params: [JSON.stringify(scope.accounts)],
  };
}

export type { SqliteStoreOptions } from './sqlite-task-base.js';

export class SqliteTaskStore extends SqliteTaskLifecycle implements TaskStore {
  constructor(db: Db, file: string, options: SqliteStoreOptions = {}) {
    super(db, file, options);
  }

  static open(file: string, options: SqliteStoreOptions = {}): SqliteTaskStore {
    return new SqliteTaskStore(openDatabase(file, options), file, options);
  }

  get(taskId: string): Promise<TaskRecord | null> {
    return this.read(() => {
      const row = this.row(taskId);
      return row ? rowToTask(row) : null;
    });
  }

  events(taskId: string): Promise<TaskEvent[]> {
    return this.read(() => this.statement('SELECT * FROM task_events WHERE task_id = ? ORDER BY id').all(taskId) as TaskEvent[]);
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
      // The page's rowids first, then their rows: sorting whole rows (a kilobyte each, with the payload) for a page of
      // 20 made SQLite spill them to a temporary file; 10,000 pending of 1,000,000 tasks took 160 ms, this 45 ms.
      const rows = this.statement(
        `SELECT * FROM tasks WHERE rowid IN (SELECT rowid FROM tasks ${clause} ORDER BY created_at DESC, rowid DESC LIMIT @limit OFFSET @offset)
         ORDER BY created_at DESC, rowid DESC`,
      ).all({
        ...params,
        limit: pageSize,
        offset: (page - 1) * pageSize,
      }) as TaskRow[];
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
      ).get() as { task_id: string; due_at: number } | undefined;
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
      };
    });
  }

  // ---- what the engine and scheduler ask --------------------------------------------------------------------------

  /**
   * Moves when new tasks may have become waiting: this process armed some, or another process committed anything
   * (PRAGMA data_version). Lets the engine keep the any-customer tasks in memory between those moments.
   */
  waitingSetToken(): Promise<string> {
    return this.read(() => `${this.db.pragma('data_version', { simple: true }) as number}:${this.armedHere}`);
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
        ).all(fromId, nowMs) as TaskRow[]
      ).map(rowToTask),
    );
  }

  /** Waiting message-triggered tasks that any customer can fire (the registry's any-customer types). */
  waitingForAnyCustomer(): Promise<TaskRecord[]> {
    return this.read(() => this.anyCustomerRows());
  }

  /**
   * The cursor is the waiting-set token: while no other process committed (data_version), the tasks that joined
   * the list are among those armed here since, read by id; otherwise, or when the engine is further behind than
   * the armed ids kept, the whole list.
   */
  anyCustomerChangesSince(cursor: string | null): Promise<AnyCustomerChanges> {
    return this.read(() => {
      const version = this.db.pragma('data_version', { simple: true }) as number;
      const next = `${version}:${this.armedHere}`;
      if (cursor === next) return { cursor, reset: false, tasks: [] };
      const [seenVersion, seenArmed] = (cursor ?? '').split(':').map(Number);
      const from = (seenArmed ?? -1) - this.armedLogStart;
      if (cursor === null || seenVersion !== version || !(from >= 0)) {
        return { cursor: next, reset: true, tasks: this.anyCustomerRows() };
      }
      // Looked up by task_id (the primary key), not through the any-customer index: the list may be long.
      const joined = this.statement(
        `SELECT * FROM tasks WHERE task_id IN (SELECT value FROM json_each(?)) AND ${ANY_CUSTOMER_WAITING} ORDER BY priority_rank DESC, rowid`,
      ).all(JSON.stringify(this.armedLog.slice(from))) as TaskRow[];
      return { cursor: next, reset: false, tasks: joined.map(rowToTask) };
    });
  }

  private anyCustomerRows(): TaskRecord[] {
    return (
      this.statement(
        `SELECT * FROM tasks INDEXED BY tasks_any_customer WHERE ${ANY_CUSTOMER_WAITING} ORDER BY priority_rank DESC, rowid`,
      ).all() as TaskRow[]
    ).map(rowToTask);
  }

  /**
   * Waiting tasks whose time has come: time_reach, cron, and retries after their backoff; the highest priority first
   * (urgent, high, normal, low), each priority in due-time order. When sends are paced (AICS_SEND_RATE) and many
   * are due, an urgent task received now goes before a normal one that has waited for an hour.
   *
   * The scheduler asks this (and nextWakeAt, expire) every second. Without ANALYZE statistics SQLite prefers
   * tasks_status_trigger for `status = 'waiting'`, which walks every waiting task (100 ms and more with 100,000
   * waiting message tasks, the event loop blocked meanwhile), so these queries name their partial index; the
   * `status IN (…)` term is the index's condition, which a query must repeat for SQLite to use it, and `+due_at`
   * sorts the due rows with the LIMIT applied instead of walking the index in order and sorting ties in full.
   */
  dueTasks(limit: number, scope?: ClaimScope): Promise<TaskRecord[]> {
    const nowMs = this.clock();
    return this.read(() => this.dueRows(limit, nowMs, scope).map(rowToTask));
  }

  /** dueTasks() and their claims in one transaction: one commit for a batch of due tasks instead of one each. */
  claimDue(limit: number, options: ClaimDueOptions): Promise<TaskRecord[]> {
    const nowMs = this.clock();
    return this.write(() => {
      const claimed: TaskRecord[] = [];
      for (const row of this.dueRows(limit, nowMs, options.scope)) {
        const task = this.claimRow(
          row.task_id,
          { owner: options.owner, leaseMs: options.leaseMs, reason: options.reason(rowToTask(row)) },
          nowMs,
        );
        if (task) claimed.push(task);
      }
      return claimed;
    });
  }

  private dueRows(limit: number, nowMs: number, scope?: ClaimScope): TaskRow[] {
    const within = scopeSql(scope);
    const due: TaskRow[] = [];
    const byPriority = this.statement(
      `SELECT * FROM tasks INDEXED BY tasks_due_by_priority
       WHERE priority_rank = ? AND due_at <= ? AND status IN ('pending', 'waiting') AND status = 'waiting' AND (expires_at IS NULL OR expires_at > ?)${within.sql}
       ORDER BY due_at, rowid LIMIT ?`,
    );
    for (const rank of RANKS_HIGHEST_FIRST) {
      if (due.length >= limit) break;
      due.push(...(byPriority.all(rank, nowMs, nowMs, ...within.params, limit - due.length) as TaskRow[]));
    }
    return due;
  }

  /**
   * When the scheduler must next wake: the earliest due time or expiry of an open task (ms), or null. Each MIN reads
   * one index entry. With a scope (accounts, shard) only its due times count (another daemon or worker fires the
   * others; waking for them would spin), read in due order until the first in scope; expiries and leases are anyone's.
   */
  nextWakeAt(scope?: ClaimScope): Promise<number | null> {
    const within = scopeSql(scope);
    const due = within.sql
      ? `SELECT due_at AS t FROM (SELECT due_at FROM tasks INDEXED BY tasks_due WHERE due_at IS NOT NULL AND status IN ('pending', 'waiting')${within.sql} ORDER BY due_at LIMIT 1)`
      : `SELECT MIN(due_at) AS t FROM tasks INDEXED BY tasks_due WHERE due_at IS NOT NULL AND status IN ('pending', 'waiting')`;
    return this.read(() => {
      const r = this.statement(
        `SELECT MIN(t) AS t FROM (
             ${due}
             UNION ALL SELECT MIN(expires_at) FROM tasks INDEXED BY tasks_expiry WHERE expires_at IS NOT NULL AND status IN ('pending', 'waiting')
             UNION ALL SELECT MIN(lease_expires_at) FROM tasks INDEXED BY tasks_lease WHERE status = 'running')`,
      ).get(...within.params) as { t: number | null };
      return r.t;
    });
  }

  /** The tasks a customer message fired (claimed), e.g. before the daemon handling it died. */
  firedBy(accId: string, msgId: string): Promise<string[]> {
    return this.read(() =>
      (
        this.statement('SELECT task_id FROM tasks WHERE target_msg_id = ? AND target_acc_id = ? ORDER BY rowid').all(msgId, accId) as {
          task_id: string;
        }[]
      ).map((r) => r.task_id),
    );
  }

  /** Who holds the leases of running tasks: lets a restarted daemon find those of dead processes on its host. */
  leaseOwners(): Promise<string[]> {
    return this.read(() =>
      (
        this.statement(`SELECT DISTINCT lease_owner FROM tasks WHERE status = 'running' AND lease_owner IS NOT NULL`).all() as {
          lease_owner: string;
        }[]
      ).map((r) => r.lease_owner),
    );
  }

  attempts(taskId: string): Promise<TaskAttempt[]> {
    return this.read(() => this.statement('SELECT * FROM task_attempts WHERE task_id = ? ORDER BY attempt').all(taskId) as TaskAttempt[]);
  }

  /** Closes the connection (and so every repository on it). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * The SQL condition of a shard scope (aics_shard, registered in connection.ts): a time task belongs to the worker that
 * owns its customer on its account; the numbers are checked integers, inlined so that each worker's statement is cached.
 */
function shardCondition(scope: ClaimScope | undefined): string {
  const shard = scope?.shard;
  if (!shard) return '';
  const { index, count } = shard;
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`a shard is an index 0 … count-1, not ${index} of ${count}`);
  }
  return ` AND aics_shard(COALESCE(target_acc_id, acc_id), COALESCE(customer_id, specified_customer_id), ${count}) = ${index}`;
}
