import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { cancelTask } from '../../app/index.js';
import { ValidationError } from '../../errors.js';
import type { TaskRecord } from '../../store/index.js';
import type { TaskStatus } from '../../tasks/index.js';

export default class TaskCancel extends BaseCommand<typeof TaskCancel> {
  static override summary = 'Cancel a task that has not run yet.';
  static override description = `Only a pending or waiting task can be cancelled: once its action has started (running) or it has
ended (completed, failed, expired, cancelled) the task is left as it is and the command exits 5. The reason is
kept in the task's history and error_message, and Tianwang gets a "cancelled" callback, as with
POST /api/task/cancel, and the same 任务取消 line goes to the daemon's log file (when that file exists).

${EXIT_CODES_HELP}`;
  static override examples = [
    {
      description: 'The seed’s example: the customer cancelled the order',
      command: '<%= config.bin %> task cancel TASK_20260227_001 --reason 客户取消订单',
    },
    { description: 'As JSON for scripts', command: '<%= config.bin %> task cancel TASK_20260227_001 --reason "duplicate" --json' },
  ];
  static override args = {
    id: Args.string({ required: true, description: 'The task id, e.g. TASK_20260227_001.' }),
  };
  static override flags = {
    reason: Flags.string({ char: 'r', summary: 'Why the task is cancelled (kept in its history).', required: true, helpValue: 'TEXT' }),
  };

  async run(): Promise<{ task_id: string; status: TaskStatus; reason: string; task: TaskRecord }> {
    const reason = this.flags.reason.trim();
    if (!reason) throw new ValidationError('--reason: must not be empty', '--reason');
    this.existingDatabase();
    let task: TaskRecord;
    try {
      ({ task } = await cancelTask(await this.useCases(), { task_id: this.args.id, reason }, { actor: this.actor }));
    } catch (error) {
      // The use case names the API's fields; on the command line they are the argument and the flag.
      if (error instanceof ValidationError && error.field === 'reason')
        throw new ValidationError(error.message.replace(/^reason/, '--reason'), '--reason');
      if (error instanceof ValidationError && error.field === 'task_id')
        throw new ValidationError(error.message.replace(/^task_id/, 'id'), 'id');
      throw error;
    }
    this.say(`任务取消: ${task.task_id} (${reason})`);
    return { task_id: task.task_id, status: task.status, reason, task };
  }
}
