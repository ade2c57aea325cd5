/**
 * When a task becomes due and when it expires, from its trigger and timeout. Pure. Each trigger type says which
 * window applies (./triggers):
 *
 * - `from-receipt`: never "due" (a message fires it); expires `timeout_hours` after the task was received.
 * - `from-due` (time_reach): due at its time; its timeout window starts then, so a task for next week does not
 *   expire before it fires, and one missed while no daemon ran still fires late inside the window.
 * - `never` (cron): due at the next occurrence and never expires; each run reschedules it.
 */
import { ValidationError } from '../errors.js';
import type { TaskPayload } from './schema.js';
import { describeTrigger, triggerDescriptor, type Trigger } from './triggers/index.js';

export { nextCronRun } from './triggers/index.js';

const HOUR_MS = 3_600_000;

export interface Deadlines {
  dueAtMs: number | null;
  expiresAtMs: number | null;
}

export function triggerDueAt(trigger: Trigger, nowMs: number, zone: string): number | null {
  return describeTrigger(trigger).dueAt?.(trigger, nowMs, zone) ?? null;
}

export function computeDeadlines(task: TaskPayload, receivedAtMs: number, zone: string): Deadlines {
  const descriptor = describeTrigger(task.trigger);
  const dueAtMs = triggerDueAt(task.trigger, receivedAtMs, zone);
  const windowMs = Math.round(task.timeout_hours * HOUR_MS);
  switch (descriptor.expiry) {
    case 'never':
      return { dueAtMs, expiresAtMs: null };
    case 'from-due': {
      const expiresAtMs = dueAtMs! + windowMs;
      if (expiresAtMs <= receivedAtMs) {
        const field = descriptor.dueField ?? 'type';
        throw new ValidationError(
          `trigger.${field}: "${String(task.trigger[field])}" is more than timeout_hours (${task.timeout_hours}) in the past`,
          `trigger.${field}`,
        );
      }
      return { dueAtMs, expiresAtMs };
    }
    case 'from-receipt':
      return { dueAtMs: null, expiresAtMs: receivedAtMs + windowMs };
  }
}

/** After a successful run, when a recurring task is next due; null when the task is done (not recurring). */
export function nextRunAfter(trigger: Trigger, nowMs: number, zone: string): number | null {
  const descriptor = triggerDescriptor(trigger.type);
  return descriptor?.recurring ? (descriptor.dueAt?.(trigger, nowMs, zone) ?? null) : null;
}
