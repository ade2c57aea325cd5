/**
 * The PostgreSQL implementation of the TaskStore port: the lifecycle (task-lifecycle.ts) plus the reads that
 * operators, the engine and the scheduler ask, and the change notifications other processes' writes send.
 */
import { ValidationError } from '../../errors.js';
import { ANY_CUSTOMER_TRIGGER_TYPES, sqlTypeList, TASK_STATUSES, type TaskStatus } from '../../tasks/index.js';
import {
  MAX_PAGE_SIZE,
  type ClaimDueOptions,
  type ClaimScope,
  type ListQuery,
  type StoreStats,
  type TaskAttempt,
  type TaskEvent,
  type TaskPage,
  type TaskRecord,
  type TaskStore,
} from '../ports/tasks.js';
import { iso, rowToTask, type TaskRow } from '../rows.js';
import { appliedVersion } from './migrations.js';
import { rowsOf } from './repository.js';
import { PgTaskLifecycle } from './task-lifecycle.js';

type Row = TaskRow & Record<string, unknown>;

/** The trigger types any customer can fire, from the registry: a new one is found by the engine without a change here. */
const ANY_CUSTOMER_TYPES_SQL = sqlTypeList(ANY_CUSTOMER_TRIGGER_TYPES);

export class PgTaskStore extends PgTaskLifecycle implements TaskStore {
  async get(taskId: string): Promise<TaskRecord | null> {
    const row = await this.row(null, taskId);
    return row ? rowToTask(row) : null;
  }

  async events(taskId: string): Promise<TaskEvent[]> {
    return this.query<TaskEvent & Record<string, unknown>>('SELECT * FROM task_events WHERE task_id = $1 ORDER BY id', [taskId]);
  }

  async list(query: ListQuery): Promise<TaskPage> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    if (!Number.isInteger(page) || page < 1) throw new ValidationError('page: must be a whole number ≥ 1', 'page');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new ValidationError(`page_size: must be a whole number from 1 to ${MAX_PAGE_SIZE}`, 'page_size');
    }
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => (params.push(value), `$${params.length}`);
    if (query.status) where.push(`status = ${param(query.status)}`);
    if (query.customerId) {
      const customer = param(query.customerId);
      where.push(`(customer_id = ${customer} OR specified_customer_id = ${customer})`);
    }
    if (query.triggerType) where.push(`trigger_type = ${param(query.triggerType)}`);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    // One snapshot for the count and the page, so the total matches the items.
    return this.write(async (q) => {
      const total = (await q.query<{ total: number }>(`SELECT COUNT(*) AS total FROM tasks ${clause}`, params)).rows[0]!.total;
      const rows = (
        await q.query<Row>(
          `SELECT * FROM tasks ${clause} ORDER BY created_at DESC, seq DESC LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
          params,
        )
      ).rows;
      return { total, page, page_size: pageSize, items: rows.map(rowToTask) };
    });
  }

  async stats(): Promise<StoreStats> {
    const byStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
    const byTrigger: Record<string, number> = {};
    let total = 0;
    const [counts, oldest, nextDue, backlog, version] = await Promise.all([
      this.query<{ status: string; trigger_type: string; n: number }>(
        'SELECT status, trigger_type, COUNT(*) AS n FROM tasks GROUP BY status, trigger_type',
      ),
      this.one<{ task_id: string; created_at: string }>(
        `SELECT task_id, created_at FROM tasks WHERE status = 'pending' ORDER BY created_at, seq LIMIT 1`,
      ),
      this.one<{ task_id: string; due_at: number }>(
        `SELECT task_id, due_at FROM tasks WHERE status IN ('pending', 'waiting') AND due_at IS NOT NULL ORDER BY due_at LIMIT 1`,
      ),
      this.one<{ backlog: number }>('SELECT COUNT(*) AS backlog FROM outbox WHERE delivered_at IS NULL'),
      appliedVersion(this.pool),
    ]);
    for (const r of counts) {
      byStatus[r.status as TaskStatus] = (byStatus[r.status as TaskStatus] ?? 0) + r.n;
      byTrigger[r.trigger_type] = (byTrigger[r.trigger_type] ?? 0) + r.n;
      total += r.n;
    }
    return {
      file: this.file,
      schema_version: version,
      total,
      by_status: byStatus,
      by_trigger_type: byTrigger,
      oldest_pending: oldest ?? null,
      next_due: nextDue ? { task_id: nextDue.task_id, due_at: iso(nextDue.due_at) } : null,
      outbox_backlog: backlog?.backlog ?? 0,
    };
  }

  // ---- what the engine and scheduler ask --------------------------------------------------------------------------

  /**
   * Moves when tasks may have become waiting, through any process: the counter the schema's trigger moves in the
   * same transaction (migration 2), so the new value and the tasks it counts become visible together.
   */
  async waitingSetToken(): Promise<string> {
    const row = await this.one<{ value: number }>(`SELECT value FROM aics_counters WHERE name = 'waiting_set'`);
    return String(row?.value ?? 0);
  }

  /** Calls listener when another process (or this one) received, armed or re-timed tasks; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    return this.changes.subscribe(listener);
  }

  /** Waiting message-triggered tasks that name this customer, ready to fire now; highest priority, then oldest, first. */
  async waitingForCustomer(fromId: string): Promise<TaskRecord[]> {
    const rows = await this.query<Row>(
      `SELECT * FROM tasks WHERE specified_customer_id = $1 AND status = 'waiting' AND due_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
       ORDER BY priority_rank DESC, seq`,
      [fromId, this.clock()],
    );
    return rows.map(rowToTask);
  }

  /** Waiting message-triggered tasks that any customer can fire (the registry's any-customer types). */
  async waitingForAnyCustomer(): Promise<TaskRecord[]> {
    const rows = await this.query<Row>(
      `SELECT * FROM tasks WHERE specified_customer_id IS NULL AND status = 'waiting' AND due_at IS NULL
       AND trigger_type IN (${ANY_CUSTOMER_TYPES_SQL}) ORDER BY priority_rank DESC, seq`,
    );
    return rows.map(rowToTask);
  }

  /**
   * Waiting tasks whose time has come, the highest priority first, each priority in due-time order. The
   * `status IN (…)` term is the partial indexes' condition (tasks_due_by_priority), repeated so the planner can use them.
   */
  async dueTasks(limit: number, scope?: ClaimScope): Promise<TaskRecord[]> {
    const nowMs = this.clock();
    const rows = await this.query<Row>(
      `SELECT * FROM tasks
       WHERE due_at <= $1 AND due_at IS NOT NULL AND status IN ('pending', 'waiting') AND status = 'waiting' AND (expires_at IS NULL OR expires_at > $1)${scopeSql(scope, 3)}
       ORDER BY priority_rank DESC, due_at, seq LIMIT $2`,
      [nowMs, limit, ...scopeParams(scope)],
    );
    return rows.map(rowToTask);
  }

  /**
   * dueTasks() and their claims in one transaction: one commit for a batch instead of one each. The due rows are
   * read FOR UPDATE SKIP LOCKED, so two daemons claiming at once take different tasks rather than waiting on each other.
   */
  claimDue(limit: number, options: ClaimDueOptions): Promise<TaskRecord[]> {
    const nowMs = this.clock();
    return this.write(async (q) => {
      const due = await rowsOf<Row>(
        q,
        `SELECT * FROM tasks
         WHERE due_at <= $1 AND due_at IS NOT NULL AND status IN ('pending', 'waiting') AND status = 'waiting' AND (expires_at IS NULL OR expires_at > $1)${scopeSql(options.scope, 3)}
         ORDER BY priority_rank DESC, due_at, seq LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [nowMs, limit, ...scopeParams(options.scope)],
      );
      const claimed: TaskRecord[] = [];
      for (const row of due) {
        const reason = options.reason(rowToTask(row));
        const task = await this.claimInTransaction(q, row.task_id, { owner: options.owner, leaseMs: options.leaseMs, reason }, nowMs);
        if (task) claimed.push(task);
      }
      return claimed;
    });
  }

  /** When the scheduler must next wake: the earliest due time, expiry or lease end of an open task (ms), or null. */
  async nextWakeAt(scope?: ClaimScope): Promise<number | null> {
    const row = await this.one<{ t: number | null }>(
      `SELECT LEAST(
         (SELECT MIN(due_at) FROM tasks WHERE due_at IS NOT NULL AND status IN ('pending', 'waiting')${scopeSql(scope, 1)}),
         (SELECT MIN(expires_at) FROM tasks WHERE expires_at IS NOT NULL AND status IN ('pending', 'waiting')),
         (SELECT MIN(lease_expires_at) FROM tasks WHERE status = 'running')) AS t`,
      scopeParams(scope),
    );
    return row?.t ?? null;
  }

  /** The tasks a customer message fired (claimed), e.g. before the daemon handling it died. */
  async firedBy(accId: string, msgId: string): Promise<string[]> {
    const rows = await this.query<{ task_id: string }>(
      'SELECT task_id FROM tasks WHERE target_msg_id = $1 AND target_acc_id = $2 ORDER BY seq',
      [msgId, accId],
    );
    return rows.map((r) => r.task_id);
  }

  /** Who holds the leases of running tasks: lets a restarted daemon find those of dead processes on its host. */
  async leaseOwners(): Promise<string[]> {
    const rows = await this.query<{ lease_owner: string }>(
      `SELECT DISTINCT lease_owner FROM tasks WHERE status = 'running' AND lease_owner IS NOT NULL`,
    );
    return rows.map((r) => r.lease_owner);
  }

  async attempts(taskId: string): Promise<TaskAttempt[]> {
    return this.query<TaskAttempt & Record<string, unknown>>('SELECT * FROM task_attempts WHERE task_id = $1 ORDER BY attempt', [taskId]);
  }
}

/**
 * The account a task is sent from, as the action runner picks it: its target's (set when a message fired it), else
 * its own, else the one its customer last wrote to; null for a customer never heard from.
 */
const SENDING_ACCOUNT = `COALESCE(target_acc_id, acc_id, (SELECT c.acc_id FROM contacts c
  WHERE c.from_id = COALESCE(tasks.target_from_id, tasks.customer_id) ORDER BY c.last_seen_at DESC LIMIT 1))`;

/**
 * The condition that keeps a scope's tasks (as on SQLite): with `accounts`, a task whose sending account is one of
 * them, or a task with none (any daemon sends it through its own). `$n` is its parameter's number. A shard scope
 * (serve --multi) is refused before it gets here: --multi runs on SQLite only.
 */
function scopeSql(scope: ClaimScope | undefined, n: number): string {
  return scope?.accounts ? ` AND (${SENDING_ACCOUNT} IS NULL OR ${SENDING_ACCOUNT} = ANY($${n}::text[]))` : '';
}

function scopeParams(scope: ClaimScope | undefined): unknown[] {
  return scope?.accounts ? [[...scope.accounts]] : [];
}
