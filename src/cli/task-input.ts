/**
 * `aics task add`'s two inputs — flags for the common cases, or the API's JSON body from a file — turned into one
 * validated payload. Validation is the task model's (parseTaskPayload, checkFileUrl), so a task the CLI accepts is
 * one the API accepts too; errors on flag-built payloads are renamed to the flag the operator typed.
 */
import { ValidationError } from '../errors.js';
import { TRIGGERS, newTaskId, triggerDescriptor, triggerFlags, type TriggerType } from '../tasks/index.js';

/**
 * The flags of `task add` that build a payload, by flag name. The trigger-specific ones (--keyword, --exact,
 * --time, --cron, …) come from the trigger registry (src/tasks/triggers).
 */
export interface TaskFlags {
  'task-id'?: string;
  customer?: string;
  'customer-name'?: string;
  'acc-id'?: string;
  trigger?: string;
  keyword?: string[];
  exact?: boolean;
  message?: string;
  'file-url'?: string;
  'image-url'?: string;
  timeout?: string;
  priority?: string;
  'max-retry'?: number;
  'created-by'?: string;
  type?: string;
  [triggerFlag: string]: unknown;
}

/** Which trigger types each trigger-specific flag belongs to; giving it for another trigger is a mistake, not a no-op. */
const FLAG_TRIGGERS: ReadonlyMap<string, readonly TriggerType[]> = new Map(triggerFlags().map(({ spec, types }) => [spec.name, types]));

export const PAYLOAD_FLAG_NAMES: readonly string[] = [
  'task-id',
  'customer',
  'customer-name',
  'acc-id',
  'trigger',
  ...FLAG_TRIGGERS.keys(),
  'message',
  'file-url',
  'image-url',
  'timeout',
  'priority',
  'max-retry',
  'created-by',
  'type',
];

const given = (v: unknown) => v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);

/**
 * The trigger type when --trigger is not given: a flag that alone picks a type (--time → time_reach, --cron →
 * cron), else several --keyword → customer_keyword, --customer with one --keyword → specified_customer_reply,
 * otherwise customer_reply.
 */
export function defaultTriggerType(flags: TaskFlags): TriggerType {
  const picked = TRIGGERS.filter((d) => d.cli.impliedBy !== undefined && flags[d.cli.impliedBy] !== undefined);
  if (picked.length > 1) {
    const [first, second] = picked.map((d) => `--${d.cli.impliedBy!} (${d.recurring ? 'recurring' : 'once'})`);
    const flag = `--${picked[1]!.cli.impliedBy!}`;
    throw new ValidationError(`${flag}: give either ${first} or ${second}, not both`, flag);
  }
  if (picked.length === 1) return picked[0]!.type;
  const keywords = flags.keyword ?? [];
  if (keywords.length > 1) {
    if (flags.customer !== undefined) {
      throw new ValidationError(
        '--keyword: a reply from one customer (specified_customer_reply) takes one keyword; for any of several keywords from any customer add --trigger customer_keyword',
        '--keyword',
      );
    }
    return 'customer_keyword';
  }
  if (flags.customer !== undefined && keywords.length === 1) return 'specified_customer_reply';
  return 'customer_reply';
}

/** The API's JSON body built from flags; not yet validated (parseTaskPayload does that). */
export function payloadFromFlags(flags: TaskFlags, nowMs: number): Record<string, unknown> {
  const type = (flags.trigger as TriggerType | undefined) ?? defaultTriggerType(flags);
  for (const [flag, triggers] of FLAG_TRIGGERS) {
    if (given(flags[flag]) && !triggers.includes(type)) {
      throw new ValidationError(`--${flag}: does not apply to a ${type} trigger`, `--${flag}`);
    }
  }
  // --trigger has `options`, so only a caller bypassing oclif meets an unknown type.
  const trigger: Record<string, unknown> = triggerDescriptor(type)?.cli.fromFlags(flags) ?? { type };
  if (flags.customer === undefined) {
    for (const flag of ['customer-name', 'acc-id'] as const) {
      if (flags[flag] !== undefined) throw new ValidationError(`--customer: is required with --${flag}`, '--customer');
    }
  }
  if (flags['file-url'] !== undefined && flags['image-url'] !== undefined) {
    throw new ValidationError('--image-url: give either --file-url or --image-url, not both', '--image-url');
  }

  let action: Record<string, unknown>;
  if (flags['file-url'] !== undefined) action = { type: 'send_file', file_url: flags['file-url'], message: flags.message };
  else if (flags['image-url'] !== undefined) action = { type: 'send_image', file_url: flags['image-url'], message: flags.message };
  else if (flags.message !== undefined) action = { type: 'send_message', message: flags.message };
  else throw new ValidationError('--message: one of --message, --file-url or --image-url is required (what to send)', '--message');

  let timeoutHours: number | undefined;
  if (flags.timeout !== undefined) {
    timeoutHours = Number(flags.timeout);
    if (flags.timeout.trim() === '' || !Number.isFinite(timeoutHours)) {
      throw new ValidationError(`--timeout: "${flags.timeout}" is not a number of hours`, '--timeout');
    }
  }

  return dropUndefined({
    task_id: flags['task-id'] ?? newTaskId(nowMs),
    type: flags.type,
    customer:
      flags.customer === undefined
        ? undefined
        : dropUndefined({ id: flags.customer, name: flags['customer-name'], acc_id: flags['acc-id'] }),
    trigger: dropUndefined(trigger),
    action: dropUndefined(action),
    priority: flags.priority,
    timeout_hours: timeoutHours,
    max_retry: flags['max-retry'],
    created_by: flags['created-by'],
  });
}

function dropUndefined(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

/** The flag that sets each trigger field ("trigger.keyword" → "--keyword"), from the registry. */
const TRIGGER_FIELD_FLAGS: Record<string, string> = Object.fromEntries(
  TRIGGERS.flatMap((d) => Object.entries(d.cli.fieldFlags).map(([field, flag]) => [`trigger.${field}`, flag])),
);

/** The flag that sets a payload field, for errors on flag-built payloads ("trigger.keyword" → "--keyword"). */
export function flagForField(field: string, actionType?: unknown): string | undefined {
  const key = field.replace(/\[\d+\]/g, '');
  const map: Record<string, string> = {
    task_id: '--task-id',
    type: '--type',
    customer: '--customer',
    'customer.id': '--customer',
    'customer.name': '--customer-name',
    'customer.acc_id': '--acc-id',
    trigger: '--trigger',
    'trigger.type': '--trigger',
    ...TRIGGER_FIELD_FLAGS,
    action: '--message',
    'action.message': '--message',
    'action.file_url': actionType === 'send_image' ? '--image-url' : '--file-url',
    priority: '--priority',
    timeout_hours: '--timeout',
    max_retry: '--max-retry',
    created_by: '--created-by',
  };
  return map[key];
}

/**
 * A ValidationError about payload fields, renamed to flags: `trigger.keyword: is required` → `--keyword: is
 * required`. Other errors pass through unchanged.
 */
export function renameToFlags(error: unknown, payload: Record<string, unknown>): unknown {
  if (!(error instanceof ValidationError)) return error;
  const actionType = (payload.action as { type?: unknown } | undefined)?.type;
  const message = error.message
    .split('; ')
    .map((part) => {
      const m = /^([\w.[\]()]+): ([\s\S]*)$/.exec(part);
      const flag = m ? flagForField(m[1]!, actionType) : undefined;
      return flag ? `${flag}: ${m![2]}` : part;
    })
    .join('; ');
  const field = error.field ? (flagForField(error.field, actionType) ?? error.field) : undefined;
  return new ValidationError(message, field);
}

/** A ValidationError about a payload read from a file, prefixed with the file's name. */
export function inFile(error: unknown, name: string): unknown {
  if (!(error instanceof ValidationError)) return error;
  return new ValidationError(`${name}: ${error.message}`, error.field);
}
