/**
 * When a task becomes due and when it expires, from its trigger and timeout. Pure.
 *
 * - Message triggers are never "due"; they expire `timeout_hours` after the task was received.
 * - `time_reach` is due at its time; its timeout window starts then, so a task for next week does not expire
 *   before it fires, and one missed while no daemon ran still fires late inside the window.
 * - `cron` is due at the next occurrence and never expires; each run reschedules it.
 */
import { CronExpressionParser } from 'cron-parser';
import { ValidationError } from '../errors.js';
import type { TaskPayload, Trigger } from './schema.js';
import { parseTriggerTime } from './time.js';

const HOUR_MS = 3_600_000;

export interface Deadlines {
  dueAtMs: number | null;
  expiresAtMs: number | null;
}

export function nextCronRun(expression: string, afterMs: number, zone: string): number {
  return CronExpressionParser.parse(expression, { currentDate: new Date(afterMs), tz: zone }).next().getTime();
}

export function triggerDueAt(trigger: Trigger, nowMs: number, zone: string): number | null {
  switch (trigger.type) {
    case 'time_reach': {
      const parsed = parseTriggerTime(trigger.time, zone);
      if (!parsed.ok) throw new ValidationError(`trigger.time: ${parsed.error}`, 'trigger.time');
      return parsed.utcMs;
    }
    case 'cron':
      return nextCronRun(trigger.expression, nowMs, zone);
    default:
      return null;
  }
}

export function computeDeadlines(task: TaskPayload, receivedAtMs: number, zone: string): Deadlines {
  const dueAtMs = triggerDueAt(task.trigger, receivedAtMs, zone);
  const windowMs = Math.round(task.timeout_hours * HOUR_MS);
  if (task.trigger.type === 'cron') return { dueAtMs, expiresAtMs: null };
  if (task.trigger.type === 'time_reach') {
    const expiresAtMs = dueAtMs! + windowMs;
    if (expiresAtMs <= receivedAtMs) {
      throw new ValidationError(
        `trigger.time: "${task.trigger.time}" is more than timeout_hours (${task.timeout_hours}) in the past`,
        'trigger.time',
      );
    }
    return { dueAtMs, expiresAtMs };
  }
  return { dueAtMs: null, expiresAtMs: receivedAtMs + windowMs };
}
