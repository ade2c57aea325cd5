import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { ValidationError } from '../../errors.js';
import { parseSince } from '../../log-reader.js';
import { failedTaskIds, retryTasks } from '../../app/index.js';
import { LOG_WORDS } from '../../log.js';

export default class TaskRetry extends BaseCommand<typeof TaskRetry> {
  static override summary = 'Run failed tasks again, as new attempts, keeping their history.';
  static override description = `A failed task goes back to waiting, due now: a running daemon with a bridge fires it within a second, to the
same customer through the same account. It is a new attempt (a new bridge req_id) with its max_retry allowance
granted again and its timeout_hours window counted from now; its earlier events and attempts stay in
"aics task status", and its next outcome sends Tianwang a new callback.

Give one task id, or --all-failed (optionally --since) for every failed task. Only failed tasks can be retried
(exit 5 otherwise). Works on the database directly, whether or not the daemon runs.

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Once the file server is back: send the file again', command: '<%= config.bin %> task retry TASK_20260227_001' },
    { description: 'Every task that failed in the last two hours', command: '<%= config.bin %> task retry --all-failed --since 2h' },
  ];
  static override args = {
    id: Args.string({ required: false, description: 'The failed task to run again.' }),
  };
  static override flags = {
    'all-failed': Flags.boolean({ summary: 'Every failed task (with --since: those that failed since then).' }),
    since: Flags.string({
      summary:
        'With --all-failed: only tasks that failed since a duration before now (30m, 2h, 1d) or a time (ISO 8601, or "2026-02-28 09:00" in AICS_TZ).',
      helpValue: 'WHEN',
      dependsOn: ['all-failed'],
    }),
    reason: Flags.string({ char: 'r', summary: 'Why (kept in the task history).', helpValue: 'TEXT' }),
  };

  async run(): Promise<{ retried: { task_id: string; status: string; retry_count: number; max_retry: number }[] }> {
    const { flags } = this;
    if (this.args.id && flags['all-failed']) throw new ValidationError('give a task id or --all-failed, not both', '--all-failed');
    if (!this.args.id && !flags['all-failed']) throw new ValidationError('give the id of a failed task, or --all-failed', 'id');
    const app = await this.useCases();
    const reason = flags.reason?.trim() ?? '';
    const since = flags.since === undefined ? null : parseSince(flags.since, app.clock(), this.settings().timeZone);
    const ids = this.args.id ? [this.args.id] : await failedTaskIds(app, since);
    const retried = await retryTasks(app, ids, reason, { actor: this.actor });
    for (const t of retried)
      this.say(`${LOG_WORDS.retried} ${t.task_id}: waiting, due now (attempt ${t.retry_count + 1}, up to ${t.max_retry + 1})`);
    if (!retried.length) this.say('no failed tasks to retry');
    return { retried: retried.map((t) => ({ task_id: t.task_id, status: t.status, retry_count: t.retry_count, max_retry: t.max_retry })) };
  }
}
