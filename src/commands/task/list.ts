import * as Flags from '@oclif/core/flags';
// The use case's own file, not the app's index: that would also load receiving, cancelling and migrating tasks.
import { listTasks } from '../../app/read-tasks.js';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { TASK_HEAD, table, taskRows } from '../../cli/format.js';
import { MAX_PAGE_SIZE, type TaskPage } from '../../store/index.js';
import type { TaskStatus, TriggerType } from '../../tasks/index.js';
import { TRIGGER_TYPES } from '../../tasks/index.js';
import { TASK_STATUSES } from '../../tasks/status.js';

export default class TaskList extends BaseCommand<typeof TaskList> {
  static override summary = 'List tasks, newest first, with filters and paging.';
  static override description = `Reads the task database directly, so it works whether or not the daemon runs.
The total number of matching tasks is always shown. Times are shown in the configured zone (AICS_TZ).

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Tasks still waiting for their trigger', command: '<%= config.bin %> task list --status waiting' },
    {
      description: "One customer's tasks, second page of 50",
      command: '<%= config.bin %> task list --customer customer_123 --page 2 --page-size 50',
    },
    {
      description: 'As JSON for scripts (the same shape as GET /api/task/list)',
      command: '<%= config.bin %> task list --status pending --json',
    },
  ];
  static override flags = {
    status: Flags.string({ char: 's', summary: 'Only tasks in this status.', options: [...TASK_STATUSES] }),
    customer: Flags.string({ char: 'c', summary: 'Only tasks of this customer id (customer.id or trigger.customer_id).' }),
    trigger: Flags.string({ summary: 'Only tasks with this trigger type.', options: [...TRIGGER_TYPES] }),
    page: Flags.integer({ summary: 'Page number, from 1.', default: 1, min: 1 }),
    'page-size': Flags.integer({ summary: `Tasks per page (1-${MAX_PAGE_SIZE}).`, default: 20, min: 1, max: MAX_PAGE_SIZE }),
  };

  async run(): Promise<TaskPage> {
    this.existingDatabase();
    const tasks = await this.store();
    await this.pauseInForce();
    const page = await listTasks(
      { store: { tasks } },
      {
        status: this.flags.status as TaskStatus | undefined,
        customerId: this.flags.customer,
        triggerType: this.flags.trigger as TriggerType | undefined,
        page: this.flags.page,
        pageSize: this.flags['page-size'],
      },
    );
    // Under --json the page is the output: the table (cli-table3, times in the zone) would be built for nothing.
    if (this.jsonEnabled()) return page;
    const zone = this.settings().timeZone;
    const pages = Math.max(1, Math.ceil(page.total / page.page_size));
    if (page.items.length > 0) this.say(table(TASK_HEAD, taskRows(page.items, zone)));
    this.say(`${page.total} task${page.total === 1 ? '' : 's'} · page ${page.page} of ${pages}`);
    return page;
  }
}
