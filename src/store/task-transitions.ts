/**
 * What each change of a task's status writes, decided once for every store: the columns set, the event's reason,
 * the extra guard of the UPDATE and the checks that refuse an operator's change. Pure (no I/O): the SQLite and
 * PostgreSQL task stores read the row, ask here, and run the guarded UPDATE in their own dialect, so the two can
 * never drift on what a claim, a completion or a redrive means.
 */
import { InvalidStateError } from '../errors.js';
import {
  CANCELLABLE_STATUSES,
  canonicalJson,
  computeDeadlines,
  nextRunAfter,
  type TaskPayload,
  type TaskStatus,
  type Trigger,
} from '../tasks/index.js';
import type { ClaimOptions } from './ports/tasks.js';
import { iso, safeParse, SqlExpression, type TaskRow } from './rows.js';

/** Columns to set: values, or SQL computed inside the guarded UPDATE (`SqlExpression`, with `@__now`). */
export type Changes = Record<string, unknown>;

/**
 * The guarded UPDATE of a status change in named parameters (`@column`; PostgreSQL's store turns them into `$n`):
 * only a task still in `from` (and passing `extraGuard`, whose parameters are `@__x0`, `@__x1` …) changes; it
 * returns the row.
 */
export function guardedUpdate(
  taskId: string,
  from: TaskStatus,
  to: TaskStatus,
  set: Changes,
  nowIso: string,
  extraGuard = '',
  extraParams: readonly unknown[] = [],
): { sql: string; params: Record<string, unknown> } {
  const columns: Changes = { ...set, status: to, updated_at: nowIso };
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
  return { sql: `UPDATE tasks SET ${assignments.join(', ')} WHERE task_id = @__id AND status = @__from ${extraGuard} RETURNING *`, params };
}

/**
 * A receive whose task_id is stored already: the same payload is the same task (answered with its current status,
 * not created again); another payload under that id is refused, naming the task's status.
 */
export function receivedAgain(existing: TaskRow, payloadText: string): TaskRow {
  if (existing.payload !== payloadText) {
    throw new InvalidStateError(`task ${existing.task_id} already exists with a different payload (status ${existing.status})`);
  }
  return existing;
}

/** A running attempt's end as recorded in task_attempts. */
export interface AttemptOutcome {
  name: 'completed' | 'retry' | 'failed' | 'lease_expired';
  error: string | null;
}

/**
 * How any end of a running attempt (completion, failure, retry, lease recovery) is written: the lease released, and
 * the UPDATE guarded by the attempt number, so a stale worker cannot end a newer attempt.
 */
export function endRunningChanges(set: Changes, attempt: number): { set: Changes; guard: string; guardParams: unknown[] } {
  return { set: { ...set, lease_owner: null, lease_expires_at: null }, guard: 'AND attempt = @__x0', guardParams: [attempt] };
}

/** waiting → running: the columns, and the guard (not expired, due) with its one parameter (now). */
export function claimChanges(options: ClaimOptions, nowMs: number): { set: Changes; why: string; guard: string; guardParams: unknown[] } {
  return {
    set: {
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
    why: options.reason ?? '任务触发',
    // Expiry wins: a task past its timeout cannot be claimed, even in the same second. A retry waits its backoff.
    guard: 'AND (expires_at IS NULL OR expires_at > @__x0) AND (due_at IS NULL OR due_at <= @__x0)',
    guardParams: [nowMs],
  };
}

/**
 * running → completed; a recurring (cron) task is never done: each successful run puts it back to wait for its
 * next occurrence, for whoever the trigger names again.
 */
export function completionChanges(
  current: TaskRow | undefined | null,
  result: unknown,
  nowMs: number,
  zone: string,
): { to: TaskStatus; set: Changes; why: string; outcome: AttemptOutcome } {
  const resultText = result === undefined ? null : canonicalJson(result);
  const next = current ? nextRunAfter(JSON.parse(current.trigger_json) as Trigger, nowMs, zone) : null;
  const outcome: AttemptOutcome = { name: 'completed', error: null };
  if (next === null) {
    return { to: 'completed', set: { result: resultText, completed_at: iso(nowMs), error_message: null }, why: '任务完成', outcome };
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
  return { to: 'waiting', set, why: `任务完成; next run ${iso(next)}`, outcome };
}

export function failureChanges(error: string, nowMs: number): { set: Changes; why: string; outcome: AttemptOutcome } {
  return { set: { error_message: error, completed_at: iso(nowMs) }, why: `任务失败: ${error}`, outcome: { name: 'failed', error } };
}

/** running → waiting, due at retryAtMs; an outcome in doubt is repeated with the same req_id (the retry count stays). */
export function retryChanges(
  error: string,
  retryAtMs: number,
  sameRequest: boolean,
): { set: Changes; why: string; outcome: AttemptOutcome } {
  return {
    set: { error_message: error, due_at: retryAtMs, retry_count: new SqlExpression(sameRequest ? 'retry_count' : 'retry_count + 1') },
    why: `retry at ${iso(retryAtMs)}${sameRequest ? ' (outcome in doubt: same req_id)' : ''}: ${error}`,
    outcome: { name: 'retry', error },
  };
}

/**
 * running → waiting for a send that never left: not an attempt (the attempt number goes back), due as it was (a
 * message-triggered task from when it was triggered). The guard keeps it to the caller's attempt.
 */
export function putBackChanges(current: TaskRow, attempt: number, why: string, nowMs: number) {
  const triggered = current.triggered_at ? Date.parse(current.triggered_at) : Number.NaN;
  const dueAt = current.due_at ?? (Number.isFinite(triggered) ? triggered : nowMs);
  return {
    set: { due_at: dueAt, lease_owner: null, lease_expires_at: null, attempt: new SqlExpression('attempt - 1') } as Changes,
    why: `not sent, waits for the bridge: ${why}`,
    guard: 'AND attempt = @__x0',
    guardParams: [attempt],
  };
}

/** pending/waiting → cancelled; InvalidStateError for a task that has run. */
export function cancelChanges(current: TaskRow, reason: string, nowMs: number): { from: TaskStatus; set: Changes; why: string } {
  const from = notRunYet(current, 'cancelled');
  const message = reason.trim() || 'cancelled';
  return { from, set: { error_message: message, completed_at: iso(nowMs) }, why: `任务取消: ${message}` };
}

/**
 * `aics task retry`: a failed task goes back to waiting, due now, as a new attempt (a new req_id, so a bridge
 * that cached the failed send does not answer from its cache), with its retry allowance (max_retry of the
 * original payload) granted again and its timeout window counted from now. Its events, attempts and target
 * customer are kept; the next outcome sends a new callback.
 */
export function redriveChanges(current: TaskRow, reason: string, nowMs: number): { set: Changes; why: string } {
  if (current.status !== 'failed') {
    throw new InvalidStateError(`task ${current.task_id} is ${current.status}: only a failed task can be retried`);
  }
  const allowance = Number((safeParse(current.payload) as { max_retry?: unknown })?.max_retry ?? current.max_retry) || 0;
  const retryCount = current.retry_count + 1;
  return {
    set: {
      retry_count: retryCount,
      max_retry: retryCount + allowance,
      due_at: nowMs,
      expires_at: current.expires_at === null ? null : nowMs + current.timeout_hours * 3_600_000,
      error_message: null,
      completed_at: null,
    },
    why: `任务重试 (manual, as attempt ${retryCount + 1})${reason ? `: ${reason}` : ''}`,
  };
}

/**
 * A time_reach task that has not run yet gets a new time: due then, expiring timeout_hours after that. Returns the
 * columns of the new trigger (an unreadable payload is rebuilt from the trigger alone).
 */
export function rescheduleChanges(current: TaskRow, time: string, nowMs: number, zone: string) {
  if (current.trigger_type !== 'time_reach') {
    throw new InvalidStateError(`task ${current.task_id} has a ${current.trigger_type} trigger: only a time_reach task can be rescheduled`);
  }
  const from = notRunYet(current, 'rescheduled');
  const trigger = { type: 'time_reach' as const, time: time.trim() };
  const { dueAtMs, expiresAtMs } = computeDeadlines({ trigger, timeout_hours: current.timeout_hours } as TaskPayload, nowMs, zone);
  const payload = safeParse(current.payload);
  return {
    from,
    trigger_json: canonicalJson(trigger),
    trigger_time: trigger.time,
    payload: canonicalJson({ ...(payload && typeof payload === 'object' ? payload : {}), trigger }),
    due_at: dueAtMs,
    expires_at: expiresAtMs,
    why: `rescheduled: due at ${iso(dueAtMs!)}`,
  };
}

function notRunYet(current: TaskRow, verb: string): TaskStatus {
  const from = current.status as TaskStatus;
  if (!CANCELLABLE_STATUSES.includes(from)) {
    throw new InvalidStateError(
      `task ${current.task_id} is ${from}: only a task that has not run yet (${CANCELLABLE_STATUSES.join(' or ')}) can be ${verb}`,
    );
  }
  return from;
}
