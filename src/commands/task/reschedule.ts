import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { taskDetails } from '../../cli/format.js';
import { rescheduleTask } from '../../app/index.js';
import { ValidationError } from '../../errors.js';
import type { TaskRecord } from '../../store/index.js';

export default class TaskReschedule extends BaseCommand<typeof TaskReschedule> {
  static override summary = 'Give a time_reach task a new time.';
  static override description = `For a time_reach task that has not run yet (pending or waiting). The usual case: a task adopted
from the Python system's tasks.db, whose columns have no place for the time, so it could never fire (task list
shows "(no time …)"). The time is read in the configured zone (AICS_TZ); the task expires timeout_hours after it.
A running daemon picks the new time up within a second.

${EXIT_CODES_HELP}`;
  static override examples = [
    {
      description: 'Fire an adopted task tomorrow at nine',
      command: '<%= config.bin %> task reschedule TASK_20260227_001 --time "2026-02-28 09:00:00"',
    },
  ];
  static override args = {
    id: Args.string({ required: true, description: 'The task id, e.g. TASK_20260227_001.' }),
  };
  static override flags = {
    time: Flags.string({
      char: 't',
      summary: 'When it fires: "YYYY-MM-DD HH:MM:SS" in the configured zone, or ISO 8601.',
      required: true,
      helpValue: 'TIME',
    }),
  };

  async run(): Promise<{ task: TaskRecord }> {
    this.existingDatabase();
    let task: TaskRecord;
    try {
      task = await rescheduleTask(await this.useCases(), this.args.id, this.flags.time, { actor: this.actor });
    } catch (error) {
      // The store names the payload's field; on the command line it is the flag.
      if (error instanceof ValidationError) throw new ValidationError(error.message.replace(/^trigger\.time/, '--time'), '--time');
      throw error;
    }
    this.say(`rescheduled ${task.task_id}`);
    this.say(taskDetails(task, this.settings().timeZone, false));
    return { task };
  }
}
