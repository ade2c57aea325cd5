/**
 * The store's interface, in intents. Operations return Promises although the SQLite implementation runs each one
 * as a single synchronous transaction: a PostgreSQL implementation can take its place without touching callers
 * (DESIGN.md "Tasks").
 */
import type { Action, Priority, TaskPayload, TaskStatus, Trigger, TriggerType } from '../tasks/index.js';

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

export interface StoreStats {
  file: string;
  schema_version: number;
  total: number;
  by_status: Record<TaskStatus, number>;
  by_trigger_type: Record<string, number>;
  oldest_pending: { task_id: string; created_at: string } | null;
  next_due: { task_id: string; due_at: string } | null;
  outbox_backlog: number;
  file_bytes: number;
  wal_bytes: number;
}

export interface IntegrityReport {
  ok: boolean;
  /** "ok", or SQLite's list of problems. */
  problems: string[];
}

export interface ClaimOptions {
  /** Who holds the lease, e.g. "daemon:host:pid". */
  owner: string;
  leaseMs: number;
  /** The customer whose message fired it; clock triggers go to the task's own customer. */
  target?: { acc_id: string | null; from_id: string; from_name?: string | null; msg_id?: string | null };
  reason?: string;
}

/** One POST received by the callback sink (`POST /api/task/callback`). */
export interface TaskStore {
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
  cancel(taskId: string, reason: string, actor: string): Promise<TaskRecord>;
  /** failed → waiting, due now, as a new attempt with its retry allowance again (`aics task retry`). */
  redrive(taskId: string, reason: string, actor: string): Promise<TaskRecord>;
  /** A pending/waiting time_reach task gets a new time (wall clock in the store's zone). */
  reschedule(taskId: string, time: string, actor: string): Promise<TaskRecord>;
  /** pending/waiting tasks past their expiry → expired; returns their ids. */
  expire(actor: string): Promise<string[]>;
  get(taskId: string): Promise<TaskRecord | null>;
  events(taskId: string): Promise<TaskEvent[]>;
  list(query: ListQuery): Promise<TaskPage>;
  stats(): Promise<StoreStats>;
  backup(destination: string): Promise<{ file: string; bytes: number }>;
  check(options?: { quick?: boolean }): Promise<IntegrityReport>;
  attempts(taskId: string): Promise<TaskAttempt[]>;

  // What the engine and the scheduler ask (see SqliteTaskStore for the details of each).
  /** Moves when new tasks may have become waiting: lets the engine cache the any-customer tasks. */
  waitingSetToken(): string;
  waitingForCustomer(fromId: string): Promise<TaskRecord[]>;
  waitingForAnyCustomer(): Promise<TaskRecord[]>;
  dueTasks(limit: number): Promise<TaskRecord[]>;
  nextWakeAt(): Promise<number | null>;
  firedBy(accId: string, msgId: string): Promise<string[]>;
  leaseOwners(): Promise<string[]>;
  renewLease(taskId: string, attempt: number, owner: string, leaseMs: number): Promise<boolean>;
  recoverLeases(actor: string, deadOwners?: readonly string[]): Promise<string[]>;
  close(): void;
}
