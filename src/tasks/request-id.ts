/**
 * The bridge `req_id` of a task's current attempt. It is stable per attempt: a send repeated after a crash or a
 * dropped connection (the outcome in doubt) carries the same req_id, so a bridge that caches results by req_id
 * never delivers twice. A known failure (retry) moves it on; a recurring (cron) task's runs are numbered apart.
 */
import { triggerDescriptor } from './triggers/index.js';

export function requestId(task: { task_id: string; retry_count: number; run_no: number; trigger: { type: string } }): string {
  const attempt = task.retry_count + 1;
  return triggerDescriptor(task.trigger.type)?.recurring ? `${task.task_id}#r${task.run_no + 1}.${attempt}` : `${task.task_id}#${attempt}`;
}
