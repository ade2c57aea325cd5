/**
 * The one mapping from the store's records to the HTTP contract's views (src/api/types.ts). Field by field and in
 * the order the API has always written them, so the JSON clients read stays byte for byte what it was, and a
 * column the store adds does not leak into the API unnoticed.
 */
import type { DbStatsView, TaskAttemptView, TaskEventView, TaskPageView, TaskView } from '../../api/index.js';
import type { StoreFileSizes, StoreStats, TaskAttempt, TaskEvent, TaskPage, TaskRecord } from '../../store/index.js';

export function taskView(t: TaskRecord): TaskView {
  return {
    task_id: t.task_id,
    type: t.type,
    status: t.status,
    priority: t.priority,
    customer_id: t.customer_id,
    customer_name: t.customer_name,
    acc_id: t.acc_id,
    trigger: t.trigger,
    action: t.action,
    timeout_hours: t.timeout_hours,
    retry_count: t.retry_count,
    max_retry: t.max_retry,
    attempt: t.attempt,
    run_no: t.run_no,
    created_at: t.created_at,
    created_by: t.created_by,
    triggered_at: t.triggered_at,
    completed_at: t.completed_at,
    updated_at: t.updated_at,
    error_message: t.error_message,
    result: t.result,
    due_at: t.due_at,
    expires_at: t.expires_at,
    lease_owner: t.lease_owner,
    lease_expires_at: t.lease_expires_at,
    target: t.target ? { acc_id: t.target.acc_id, from_id: t.target.from_id, from_name: t.target.from_name } : null,
    ...(t.problem ? { problem: t.problem } : {}),
  };
}

export function taskEventView(e: TaskEvent): TaskEventView {
  return { id: e.id, task_id: e.task_id, at: e.at, from_status: e.from_status, to_status: e.to_status, reason: e.reason, actor: e.actor };
}

export function taskAttemptView(a: TaskAttempt): TaskAttemptView {
  return {
    task_id: a.task_id,
    attempt: a.attempt,
    req_id: a.req_id,
    owner: a.owner,
    started_at: a.started_at,
    ended_at: a.ended_at,
    outcome: a.outcome,
    error: a.error,
  };
}

export function taskPageView(p: TaskPage): TaskPageView {
  return { total: p.total, page: p.page, page_size: p.page_size, items: p.items.map(taskView) };
}

/** `sizes` only for a store kept in a local file (SQLite: its maintenance part). */
export function dbStatsView(s: StoreStats, sizes?: StoreFileSizes): DbStatsView {
  return {
    file: s.file,
    schema_version: s.schema_version,
    ...(sizes ? { file_bytes: sizes.file_bytes, wal_bytes: sizes.wal_bytes } : {}),
    total: s.total,
    oldest_pending: s.oldest_pending,
    next_due: s.next_due,
  };
}
