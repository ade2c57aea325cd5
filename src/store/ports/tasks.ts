/**
 * The task store's port, in intents. Every operation returns a Promise and nothing here names a dialect: the
 * SQLite implementation runs each one as a single synchronous transaction, and a PostgreSQL one can take its place
 * without touching callers (DESIGN.md "Tasks").
 */
import type { Action, Priority, TaskPayload, TaskStatus, Trigger, TriggerType } from '../../tasks/index.js';

export interface TaskRecord {
  task_id: string;
  type: string;
  status: TaskStatus;
  priority: Priority;
  customer_id: string | null;
  customer_name: string | null;
  acc_id: string | null;
  trigger: Trigger;
  action: Action;
  timeout_hours: number;
  retry_count: number;
  max_retry: number;
  /** How many times the task was claimed (guards stale completions). */
  attempt: number;
  /** Completed runs of a cron task. */
  run_no: number;
  created_at: string;
  created_by: string | null;
  triggered_at: string | null;
  completed_at: string | null;
  updated_at: string | null;
  error_message: string | null;
  result: unknown;
  /** ISO times (UTC) of the next clock firing and of expiry, when they apply. */
  due_at: string | null;
  expires_at: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  /** The customer the action goes to, set when the trigger fired. */
  target: { acc_id: string | null; from_id: string; from_name: string | null } | null;
  /** Present only when the task can never fire as stored (adopted from the Python system): what is missing, how to fix it. */
  problem?: string;
}

export interface TaskEvent {
  id: number;
  task_id: string;
  at: string;
  from_status: TaskStatus | null;
  to_status: TaskStatus;
  reason: string | null;
  actor: string | null;
}

export interface TaskAttempt {
  task_id: string;
  attempt: number;
  req_id: string;
  owner: string | null;
  started_at: string;
  ended_at: string | null;
  /** completed | retry | failed | lease_expired; null while under way. */
  outcome: string | null;
  error: string | null;
}

export interface ReceiveResult {
  task: TaskRecord;
  /** false when the same task_id with the same payload was already stored (idempotent re-receive). */
  created: boolean;
}

/** The largest page `list` returns (the seed's API caps page_size too). */
export const MAX_PAGE_SIZE = 200;

export interface ListQuery {
  status?: TaskStatus;
  customerId?: string;
  triggerType?: TriggerType;
  page?: number;
  pageSize?: number;
}

export interface TaskPage {
  total: number;
  page: number;
  page_size: number;
  items: TaskRecord[];
}

/** Counts and times every store can give; file sizes live in the SQLite-only maintenance part. */
export interface StoreStats {
  /** Where the store lives: the SQLite file, or a server's address (without its password). */
  file: string;
  schema_version: number;
  total: number;
  by_status: Record<TaskStatus, number>;
  by_trigger_type: Record<string, number>;
  oldest_pending: { task_id: string; created_at: string } | null;
  next_due: { task_id: string; due_at: string } | null;
  outbox_backlog: number;
}

export interface ClaimOptions {
  /** Who holds the lease, e.g. "daemon:host:pid". */
  owner: string;
  leaseMs: number;
  /** The customer whose message fired it; clock triggers go to the task's own customer. */
  target?: { acc_id: string | null; from_id: string; from_name?: string | null; msg_id?: string | null };
  reason?: string;
}

/**
 * Which due tasks a daemon (or one worker of `serve --multi`) may fire; absent means every task. `accounts`: only
 * tasks for the WeCom accounts this daemon's 轻简 bridge serves (several daemons on one database); `shard`: only
 * customers with md5(acc_id:from_id) mod count = index, as the seed shards its workers.
 */
export interface ClaimScope {
  accounts?: readonly string[];
  shard?: { index: number; count: number };
}

export interface TaskStore {
  /** Where the store lives (see StoreStats.file). */
  readonly file: string;
  receive(payload: TaskPayload, actor: string): Promise<ReceiveResult>;
  /** pending → waiting for every pending task (or the given ones) not yet expired; returns the armed ids. */
  arm(actor: string, taskIds?: readonly string[]): Promise<string[]>;
  /** waiting → running, if still waiting, due and unexpired; null when another claimer won. */
  claim(taskId: string, options: ClaimOptions): Promise<TaskRecord | null>;
  complete(taskId: string, attempt: number, result: unknown, actor: string): Promise<TaskRecord | null>;
  fail(taskId: string, attempt: number, error: string, actor: string): Promise<TaskRecord | null>;
  /** running → waiting, due again at retryAtMs; sameRequest keeps the req_id (the last send's outcome is in doubt). */
  retry(
    taskId: string,
    attempt: number,
    error: string,
    retryAtMs: number,
    actor: string,
    options?: { sameRequest?: boolean },
  ): Promise<TaskRecord | null>;
  /**
   * running → waiting for an attempt whose send never left (the 轻简 bridge was away): not an attempt, so the attempt
   * number, retry count and req_id are as before the claim; the due time is kept (a message-triggered task is due
   * from when it was triggered). Null when the attempt is no longer the caller's.
   */
  putBack(taskId: string, attempt: number, why: string, actor: string): Promise<TaskRecord | null>;
  /** Only a task that has not run yet; NotFoundError / InvalidStateError otherwise. */
  cancel(taskId: string, reason: string, actor: string): Promise<TaskRecord>;
  /** failed → waiting, due now, as a new attempt with its retry allowance again (`aics task retry`). */
  redrive(taskId: string, reason: string, actor: string): Promise<TaskRecord>;
  /** A pending/waiting time_reach task gets a new time (wall clock in the store's zone). */
  reschedule(taskId: string, time: string, actor: string): Promise<TaskRecord>;
  /** pending/waiting tasks past their expiry → expired; returns their ids. */
  expire(actor: string): Promise<string[]>;
  get(taskId: string): Promise<TaskRecord | null>;
  events(taskId: string): Promise<TaskEvent[]>;
  /** Newest first; ValidationError naming page / page_size when they are out of range. */
  list(query: ListQuery): Promise<TaskPage>;
  stats(): Promise<StoreStats>;
  attempts(taskId: string): Promise<TaskAttempt[]>;

  // What the engine and the scheduler ask.
  /**
   * An opaque value that changes whenever tasks may have become waiting (armed here or written by another
   * process): while it stays the same, the engine may keep the any-customer tasks it read in memory.
   */
  waitingSetToken(): Promise<string>;
  /**
   * Calls listener soon after any process received, armed or re-timed tasks (a store shared by several processes
   * notifies; PostgreSQL's LISTEN/NOTIFY); returns the unsubscribe. Absent where the store has no such signal
   * (SQLite): callers poll, as they do anyway as the fallback.
   */
  onChange?(listener: () => void): () => void;
  /** Waiting message-triggered tasks that name this customer, ready to fire now; highest priority, then oldest, first. */
  waitingForCustomer(fromId: string): Promise<TaskRecord[]>;
  /** Waiting message-triggered tasks that any customer can fire; highest priority, then oldest, first. */
  waitingForAnyCustomer(): Promise<TaskRecord[]>;
  /** Waiting tasks whose time has come (clock triggers, retries after their backoff), earliest first. */
  dueTasks(limit: number, scope?: ClaimScope): Promise<TaskRecord[]>;
  /** The earliest due time, expiry or lease end of an open task (ms), or null. */
  nextWakeAt(scope?: ClaimScope): Promise<number | null>;
  /** The tasks a customer message fired (claimed). */
  firedBy(accId: string, msgId: string): Promise<string[]>;
  /** Who holds the leases of running tasks. */
  leaseOwners(): Promise<string[]>;
  /** Extends the lease of a running attempt; false when the task is no longer the owner's. */
  renewLease(taskId: string, attempt: number, owner: string, leaseMs: number): Promise<boolean>;
  /** Running tasks whose lease ran out, or held by the given dead owners, go back to waiting (same req_id). */
  recoverLeases(actor: string, deadOwners?: readonly string[]): Promise<string[]>;
}
