import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { taskDetails } from '../../cli/format.js';
import { readJsonInput } from '../../cli/json-input.js';
import { PAYLOAD_FLAG_NAMES, inFile, payloadFromFlags, renameToFlags, type TaskFlags } from '../../cli/task-input.js';
import { ValidationError } from '../../errors.js';
import type { TaskRecord } from '../../store/index.js';
import { PRIORITIES, TRIGGER_TYPES, triggerFlags, type TaskStatus, type TriggerFlagSpec } from '../../tasks/index.js';
import { receiveTask } from '../../app/index.js';

export interface TaskAddResult {
  task_id: string;
  status: TaskStatus;
  /** false: the same task_id with the same payload was already stored (nothing changed). */
  created: boolean;
  task: TaskRecord;
}

export default class TaskAdd extends BaseCommand<typeof TaskAdd> {
  static override summary = 'Store a new task, from flags or from the API’s JSON body (--file).';
  static override description = `Writes the task straight into the task database as POST /api/task/receive would, with the same
validation and the same 任务接收 line in the daemon's log file (when that file exists): a running daemon arms it
on its next pass. Adding the same task_id with the same payload again is
harmless (nothing changes); with a different payload it is refused (exit 5).

From flags, the trigger type follows from what is given unless --trigger says otherwise: --time → time_reach,
--cron → cron, several --keyword → customer_keyword, --customer with one --keyword → specified_customer_reply,
otherwise customer_reply. The action is send_file with --file-url, send_image with --image-url, else
send_message (--message is then the text; with a file it is sent before it). A file_url must be an http(s) URL
or a path inside the files folder (AICS_FILES_DIR). --time is read in the configured zone (AICS_TZ) unless it
carries an offset.

With --file, the file (or stdin with "-") holds exactly the JSON body that Tianwang POSTs; no other task flag
may be given then.

${EXIT_CODES_HELP}`;
  static override examples = [
    {
      description: 'The seed’s example: when customer_123 replies 好的, send him a message',
      command:
        '<%= config.bin %> task add --task-id TASK_20260227_001 --customer customer_123 --customer-name 小明 --keyword 好的 --message 这是您要的文件 --created-by "设计师 lz"',
    },
    {
      description: 'Send a file to a customer at 09:00 on 28 February 2030 (local time of AICS_TZ)',
      command: '<%= config.bin %> task add --customer customer_123 --time "2030-02-28 09:00:00" --file-url https://example.com/a.pdf',
    },
    {
      description: 'Every day at 09:00, send a message to a customer',
      command: '<%= config.bin %> task add --customer customer_123 --cron "0 9 * * *" --message 早上好',
    },
    {
      description: 'Any customer who says 好的, 可以 or 行 gets an image',
      command: '<%= config.bin %> task add --keyword 好的 --keyword 可以 --keyword 行 --image-url https://example.com/menu.png',
    },
    {
      description: 'A customer who says they paid gets a thank-you (default payment words)',
      command: '<%= config.bin %> task add --trigger customer_payment --customer customer_123 --message 感谢您的付款',
    },
    { description: 'The API’s JSON body from a file', command: '<%= config.bin %> task add --file task.json' },
    { description: 'From stdin, as JSON for scripts', command: 'cat task.json | <%= config.bin %> task add --file - --json' },
  ];
  static override flags = {
    file: Flags.string({
      char: 'f',
      summary: 'Read the task from this JSON file ("-" for stdin), exactly as POST /api/task/receive takes it (at most 256 KiB).',
      helpValue: 'FILE',
    }),
    'task-id': Flags.string({ summary: 'The task id (default: a new TASK_YYYYMMDD_HHMMSS_XXXX).', helpValue: 'ID' }),
    customer: Flags.string({ char: 'c', summary: 'The customer id (customer.id; also trigger.customer_id).', helpValue: 'ID' }),
    'customer-name': Flags.string({ summary: 'The customer’s name (customer.name; also trigger.customer_name).', helpValue: 'NAME' }),
    'acc-id': Flags.string({ summary: 'Our WeCom account the customer talks to (customer.acc_id).', helpValue: 'ID' }),
    trigger: Flags.string({
      char: 't',
      summary: 'The trigger type (default: from the other flags, see DESCRIPTION).',
      options: [...TRIGGER_TYPES],
    }),
    ...triggerFlagDefinitions(),
    message: Flags.string({ char: 'm', summary: 'The text to send (send_message), or sent before a file or image.', helpValue: 'TEXT' }),
    'file-url': Flags.string({ summary: 'Send this file (send_file): an http(s) URL or a path inside AICS_FILES_DIR.', helpValue: 'URL' }),
    'image-url': Flags.string({
      summary: 'Send this image (send_image): an http(s) URL or a path inside AICS_FILES_DIR.',
      helpValue: 'URL',
    }),
    timeout: Flags.string({
      summary: 'Hours the task may wait for its trigger before it expires (timeout_hours, default 24).',
      helpValue: 'HOURS',
    }),
    priority: Flags.string({
      summary: 'Which task fires first when one message matches several (default normal).',
      options: [...PRIORITIES],
    }),
    'max-retry': Flags.integer({ summary: 'Attempts after the first before the task fails (default 3).', min: 0, max: 20, helpValue: 'N' }),
    'created-by': Flags.string({ summary: 'Who asked for the task, e.g. "设计师 lz".', helpValue: 'NAME' }),
    type: Flags.string({ summary: 'Free-form task kind, e.g. send_file_after_reply (default "task").', helpValue: 'KIND' }),
  };

  async run(): Promise<TaskAddResult> {
    const settings = this.settings();
    const flags = this.flags as TaskFlags & { file?: string };
    let payload: unknown;
    let rename: (error: unknown) => unknown;
    if (flags.file !== undefined) {
      const extra = PAYLOAD_FLAG_NAMES.find((name) => flags[name] !== undefined && flags[name] !== false);
      if (extra) throw new ValidationError(`--file: cannot be combined with --${extra} (the file holds the whole task)`, '--file');
      if (flags.file === '-' && process.stdin.isTTY) process.stderr.write('reading the task JSON from stdin (end with Ctrl-D)…\n');
      const input = await readJsonInput(flags.file, '--file');
      payload = input.value;
      rename = (error) => inFile(error, input.name);
    } else {
      const built = payloadFromFlags(flags, Date.now());
      payload = built;
      rename = (error) => renameToFlags(error, built);
    }

    let result;
    try {
      result = await receiveTask(await this.useCases(), payload, {
        actor: this.actor,
        filesDir: settings.filesDir,
        scopeAnyCustomer: settings.scopeAnyCustomer,
      });
    } catch (error) {
      throw rename(error);
    }

    const { task, created } = result;
    this.say(
      created
        ? `任务接收成功: ${task.task_id} (${task.status})`
        : `already stored (idempotent): ${task.task_id} is ${task.status}, nothing changed`,
    );
    this.say(taskDetails(task, settings.timeZone, false));
    return { task_id: task.task_id, status: task.status, created, task };
  }
}

/** The trigger-specific flags (--keyword, --exact, --time, --cron, …), as each trigger type declares them. */
function triggerFlagDefinitions() {
  const flag = (spec: TriggerFlagSpec) => {
    const common = {
      summary: spec.summary,
      ...(spec.char ? { char: spec.char as 'k' } : {}),
      ...(spec.helpValue ? { helpValue: spec.helpValue } : {}),
    };
    if (spec.kind === 'boolean') return Flags.boolean(common);
    if (spec.kind === 'strings') return Flags.string({ ...common, multiple: true });
    return Flags.string(common);
  };
  return Object.fromEntries(triggerFlags().map(({ spec }) => [spec.name, flag(spec)]));
}
