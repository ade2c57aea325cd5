/**
 * What every task operation of the SQLite store shares: reading a row, recording an event, and the one way a status
 * changes (an UPDATE guarded by the old status, its event, and the callback for a terminal status, in the caller's
 * transaction). Whoever changes 0 rows lost the race.
 */
import { resolve } from 'node:path';
import { NotFoundError } from '../errors.js';
import { isTerminal, type TaskStatus } from '../tasks/index.js';
import type { Db, OpenOptions } from './connection.js';
import type { TaskRecord } from './ports/tasks.js';
import { GroupCommit } from './group-commit.js';
import { SqliteRepository } from './repository.js';
import { callbackBody, iso, rowToTask, type TaskRow } from './rows.js';
import { endRunningChanges, guardedUpdate } from './task-transitions.js';

export interface SqliteStoreOptions extends OpenOptions {
  /** Milliseconds since the epoch; tests pass a fake clock. */
  clock?: () => number;
  /** IANA zone in which `time_reach` wall-clock times and cron expressions are read. */
  timeZone?: string;
}

/** How many armed ids are kept for anyCustomerChangesSince; an engine further behind reads the list in full. */
const ARMED_LOG_SIZE = 10_000;

export abstract class SqliteTaskBase extends SqliteRepository {
  protected readonly zone: string;
  /** Tasks armed through this connection; with data_version it tells when the waiting set may have grown. */
  protected armedHere = 0;
  /** The ids of the latest tasks armed here (the last ARMED_LOG_SIZE); armedLogStart counts the ones dropped. */
  protected readonly armedLog: string[] = [];
  protected armedLogStart = 0;
  /** Receives that arrive together are committed together (see group-commit.ts). */
  protected readonly grouped: GroupCommit;

  constructor(db: Db, file: string, options: SqliteStoreOptions = {}) {
    super(db, resolve(file), options.clock ?? Date.now);
    this.grouped = GroupCommit.of(db, this.file);
    this.zone = options.timeZone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  }

  protected noteArmed(ids: readonly string[]): void {
    this.armedHere += ids.length;
    this.armedLog.push(...ids);
    const excess = this.armedLog.length - ARMED_LOG_SIZE;
    if (excess > 0) {
      this.armedLog.splice(0, excess);
      this.armedLogStart += excess;
    }
  }

  protected row(taskId: string): TaskRow | undefined {
    return this.statement('SELECT * FROM tasks WHERE task_id = ?').get(taskId) as TaskRow | undefined;
  }

  /** The task an operator named (cancel, retry, reschedule); not found names this database. */
  protected existingRow(taskId: string): TaskRow {
    const current = this.row(taskId);
    if (!current) throw new NotFoundError(`task ${taskId} not found in ${this.file}`);
    return current;
  }

  protected event(taskId: string, from: TaskStatus | null, to: TaskStatus, reason: string | null, actor: string, atIso: string) {
    this.statement('INSERT INTO task_events (task_id, at, from_status, to_status, reason, actor) VALUES (?, ?, ?, ?, ?, ?)').run(
      taskId,
      atIso,
      from,
      to,
      reason,
      actor,
    );
  }

  /** The callback to Tianwang for a terminal status, written in the same transaction as the change. */
  protected enqueueCallback(row: TaskRow, nowMs: number) {
    const body = callbackBody(row);
    this.statement(
      `INSERT INTO outbox (event_id, kind, task_id, payload, created_at, next_attempt_at)
       VALUES (?, 'callback', ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
    ).run(body.event_id, row.task_id, JSON.stringify(body), iso(nowMs), nowMs);
  }

  /**
   * The one way a status changes: an UPDATE guarded by the old status (and, for a running task, the attempt), an
   * event, and the callback for a terminal status. Returns null when the guard did not hold.
   */
  protected transition(
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
    const update = guardedUpdate(taskId, from, to, set, nowIso, extraGuard, extraParams);
    const row = this.statement(update.sql).get(update.params) as TaskRow | undefined;
    if (!row) return null;
    this.event(taskId, from, to, reason, actor, nowIso);
    if (isTerminal(to)) this.enqueueCallback(row, nowMs);
    return row;
  }

  protected endAttempt(taskId: string, attempt: number, outcome: string, error: string | null, nowMs: number) {
    this.statement('UPDATE task_attempts SET ended_at = ?, outcome = ?, error = ? WHERE task_id = ? AND attempt = ?').run(
      iso(nowMs),
      outcome,
      error,
      taskId,
      attempt,
    );
  }

  /** Ends a running attempt (endRunningChanges) and records its outcome. Null when the guard did not hold. */
  protected endRunning(
    taskId: string,
    attempt: number,
    to: TaskStatus,
    set: Record<string, unknown>,
    reason: string,
    actor: string,
    nowMs: number,
    outcome: { name: string; error: string | null },
  ): TaskRecord | null {
    const end = endRunningChanges(set, attempt);
    const row = this.transition(taskId, 'running', to, end.set, reason, actor, nowMs, end.guard, end.guardParams);
    if (!row) return null;
    this.endAttempt(taskId, attempt, outcome.name, outcome.error, nowMs);
    return rowToTask(row);
  }
}
