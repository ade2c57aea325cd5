import { Args } from '@oclif/core';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { ATTEMPT_HEAD, EVENT_HEAD, attemptRows, eventRows, table, taskDetails } from '../../cli/format.js';
import { NotFoundError } from '../../errors.js';
import { taskWarnings } from '../../tasks/index.js';
import type { TaskAttempt, TaskEvent, TaskRecord } from '../../store/index.js';

export default class TaskStatus extends BaseCommand<typeof TaskStatus> {
  static override summary = 'Show one task and the history of its status changes.';
  static override description = `Reads the task database directly, so it works whether or not the daemon runs: the same
task as GET /api/task/status/:task_id, followed by every transition (received, armed, triggered, retried,
completed, failed, cancelled, expired) with its time, reason and who made it, and every attempt of its action
(the bridge req_id, when it started and ended, how it ended). Times are shown in the configured
zone (AICS_TZ).

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Why has this task not fired yet?', command: '<%= config.bin %> task status TASK_20260227_001' },
    { description: 'The task and its events as JSON', command: '<%= config.bin %> task status TASK_20260227_001 --json' },
  ];
  static override args = {
    id: Args.string({ required: true, description: 'The task id, e.g. TASK_20260227_001.' }),
  };

  async run(): Promise<{ task: TaskRecord; events: TaskEvent[]; attempts: TaskAttempt[]; warnings?: string[] }> {
    const store = this.store();
    const task = await store.get(this.args.id);
    if (!task) throw new NotFoundError(`task ${this.args.id} not found`);
    const events = await store.events(task.task_id);
    const settings = this.settings();
    const zone = settings.timeZone;
    this.say(taskDetails(task, zone, true));
    const warnings = taskWarnings(task, settings.scopeAnyCustomer);
    for (const warning of warnings) this.say(`warning: ${warning}`);
    this.say('');
    this.say(events.length ? table(EVENT_HEAD, eventRows(events, zone)) : 'no events recorded');
    const attempts = await store.attempts(task.task_id);
    if (attempts.length) {
      this.say('');
      this.say(table(ATTEMPT_HEAD, attemptRows(attempts, zone)));
    }
    return { task, events, attempts, ...(warnings.length ? { warnings } : {}) };
  }
}
