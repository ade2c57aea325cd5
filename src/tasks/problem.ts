/**
 * What a stored task lacks to ever fire. Tasks adopted from the Python system's tasks.db can be incomplete: the
 * seed's columns have no place for a time_reach time or a cron expression. Such a task is shown everywhere, with
 * this sentence telling the operator what is missing and how to fix it (each trigger type says it: ./triggers). Pure.
 */
import { triggerDescriptor } from './triggers/index.js';

export function taskProblem(taskId: string, trigger: { type: string } & Record<string, unknown>): string | null {
  const descriptor = triggerDescriptor(trigger.type);
  if (!descriptor) {
    return `unknown trigger type "${trigger.type}": it will never fire; cancel it with \`aics task cancel ${taskId} --reason …\``;
  }
  return descriptor.problem?.(taskId, trigger) ?? null;
}
