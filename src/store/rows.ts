/** Mapping between `tasks` rows and TaskRecord, and from a payload to the seed's columns. */
import {
  PRIORITY_RANK,
  canonicalJson,
  describeTrigger,
  taskProblem,
  type Action,
  type Priority,
  type TaskPayload,
  type TaskStatus,
  type Trigger,
} from '../tasks/index.js';
import type { TaskRecord } from './ports/tasks.js';

export interface TaskRow {
  task_id: string;
  specified_customer_id: string | null;
  specified_customer_name: string | null;
  type: string;
  customer_name: string | null;
  customer_id: string | null;
  trigger_type: string;
  trigger_keyword: string | null;
  trigger_keywords: string | null;
  action_type: string;
  action_file_url: string | null;
  action_message: string | null;
  priority: string;
  timeout_hours: number;
  status: string;
  retry_count: number;
  max_retry: number;
  created_at: string;
  created_by: string | null;
  triggered_at: string | null;
  completed_at: string | null;
  error_message: string | null;
  result: string | null;
  acc_id: string | null;
  exact_match: number;
  trigger_time: string | null;
  trigger_json: string;
  action_json: string;
  payload: string;
  priority_rank: number;
  due_at: number | null;
  expires_at: number | null;
  attempt: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  target_acc_id: string | null;
  target_from_id: string | null;
  target_from_name: string | null;
  updated_at: string | null;
  run_no: number;
}

/** The last time formatted: a write stamps several rows with the same instant (profiled at 3 % of firing a burst). */
let lastIsoMs = Number.NaN;
let lastIso = '';
export function iso(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function rowToTask(row: TaskRow): TaskRecord {
  const trigger = JSON.parse(row.trigger_json) as Trigger;
  const problem = taskProblem(row.task_id, trigger as unknown as { type: string } & Record<string, unknown>);
  return {
    task_id: row.task_id,
    type: row.type,
    status: row.status as TaskStatus,
    priority: row.priority as Priority,
    customer_id: row.customer_id,
    customer_name: row.customer_name,
    acc_id: row.acc_id,
    trigger,
    action: JSON.parse(row.action_json) as Action,
    timeout_hours: row.timeout_hours,
    retry_count: row.retry_count,
    max_retry: row.max_retry,
    attempt: row.attempt,
    run_no: row.run_no,
    created_at: row.created_at,
    created_by: row.created_by,
    triggered_at: row.triggered_at,
    completed_at: row.completed_at,
    updated_at: row.updated_at,
    error_message: row.error_message,
    result: parseResult(row.result),
    due_at: isoOrNull(row.due_at),
    expires_at: isoOrNull(row.expires_at),
    lease_owner: row.lease_owner,
    lease_expires_at: isoOrNull(row.lease_expires_at),
    target: row.target_from_id ? { acc_id: row.target_acc_id, from_id: row.target_from_id, from_name: row.target_from_name } : null,
    ...(problem ? { problem } : {}),
  };
}

/** JSON written by aics, or kept as the text it is when someone else wrote it. */
export function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseResult(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text; // written by someone else (the seed's system) as plain text
  }
}

/** The seed's columns (and ours) for a new task. */
export function payloadToColumns(payload: TaskPayload, dueAtMs: number | null, expiresAtMs: number | null, nowIso: string) {
  const t = payload.trigger;
  // Each trigger type says which of the seed's columns it fills (src/tasks/triggers).
  const c = describeTrigger(t).columns(t);
  const specifiedId = c.specified_customer_id;
  const specifiedName = c.specified_customer_name;
  const a = payload.action;
  return {
    task_id: payload.task_id,
    specified_customer_id: specifiedId,
    specified_customer_name: specifiedName,
    type: payload.type,
    customer_name: payload.customer?.name ?? specifiedName,
    customer_id: payload.customer?.id ?? specifiedId,
    trigger_type: t.type,
    trigger_keyword: c.trigger_keyword,
    trigger_keywords: c.trigger_keywords ? JSON.stringify(c.trigger_keywords) : null,
    action_type: a.type,
    action_file_url: a.type === 'send_message' ? null : a.file_url,
    action_message: a.message ?? null,
    priority: payload.priority,
    timeout_hours: payload.timeout_hours,
    max_retry: payload.max_retry,
    created_at: nowIso,
    created_by: payload.created_by ?? null,
    acc_id: payload.customer?.acc_id ?? null,
    exact_match: c.exact_match ? 1 : 0,
    trigger_time: c.trigger_time,
    trigger_json: canonicalJson(t),
    action_json: canonicalJson(a),
    payload: canonicalJson(payload),
    priority_rank: PRIORITY_RANK[payload.priority],
    due_at: dueAtMs,
    expires_at: expiresAtMs,
    updated_at: nowIso,
  };
}

/** A column value computed by SQL inside a guarded UPDATE, e.g. `attempt + 1` (named parameters as `@name`). */
export class SqlExpression {
  constructor(readonly text: string) {}
}

/** The callback to Tianwang for a task that reached a terminal status (its event_id de-duplicates it). */
export function callbackBody(row: TaskRow) {
  return {
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
}
