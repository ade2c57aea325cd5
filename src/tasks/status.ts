/**
 * The task status machine (DESIGN.md "Tasks"). The store guards every change with the old status in one SQL
 * statement; this table is the single place that says which changes exist at all.
 */
export const TASK_STATUSES = ['pending', 'waiting', 'running', 'completed', 'failed', 'cancelled', 'expired'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled', 'expired'];

const TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  // stored, not yet armed by a daemon
  pending: ['waiting', 'cancelled', 'expired'],
  // armed: a trigger or the clock may claim it
  waiting: ['running', 'cancelled', 'expired'],
  // action under way; back to waiting for a retry (after backoff) or the next run of a cron task
  running: ['completed', 'failed', 'waiting'],
  completed: [],
  failed: [],
  cancelled: [],
  expired: [],
};

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses from which `to` can be reached: what a guarded UPDATE lists in its WHERE clause. */
export function statusesLeadingTo(to: TaskStatus): TaskStatus[] {
  return TASK_STATUSES.filter((from) => TRANSITIONS[from].includes(to));
}

/** A task can be cancelled only before its action has started. */
export const CANCELLABLE_STATUSES: readonly TaskStatus[] = statusesLeadingTo('cancelled');
