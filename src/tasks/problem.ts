/**
 * What a stored task lacks to ever fire. Tasks adopted from the Python system's tasks.db can be incomplete: the
 * seed's columns have no place for a time_reach time or a cron expression. Such a task is shown everywhere, with
 * this sentence telling the operator what is missing and how to fix it. Pure.
 */
import { TRIGGER_TYPES } from './kinds.js';

export function taskProblem(taskId: string, trigger: { type: string } & Record<string, unknown>): string | null {
  const fix = `set it with \`aics task reschedule ${taskId} --time "YYYY-MM-DD HH:MM:SS"\` or cancel it with \`aics task cancel ${taskId} --reason …\``;
  if (trigger.type === 'time_reach' && !nonEmpty(trigger.time)) {
    return `time_reach trigger has no time (the Python system's tasks.db has no column for it): it will never fire; ${fix}`;
  }
  if (trigger.type === 'cron' && !nonEmpty(trigger.expression)) {
    return `cron trigger has no expression (the Python system's tasks.db has no column for it): it will never fire; cancel it with \`aics task cancel ${taskId} --reason …\` and add it again with \`aics task add\``;
  }
  if (!(TRIGGER_TYPES as readonly string[]).includes(trigger.type)) {
    return `unknown trigger type "${trigger.type}": it will never fire; cancel it with \`aics task cancel ${taskId} --reason …\``;
  }
  return null;
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}
