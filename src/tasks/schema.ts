/**
 * The task payload exactly as Tianwang POSTs it to /api/task/receive (the seed's example), validated with zod.
 * The API and `aics task add --file` share these schemas, so an error names the same field in both.
 */
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { id, text } from './fields.js';
import { CLOCK_TRIGGER_TYPES, TRIGGER_TYPES, triggerSchema } from './triggers/index.js';

// The trigger types live in the registry (./triggers); these names stay importable from here.
export {
  DEFAULT_PAYMENT_KEYWORDS,
  TRIGGER_TYPES,
  cronTrigger,
  customerKeywordTrigger,
  customerPaymentTrigger,
  customerReplyTrigger,
  firesAtMostOncePerMinute,
  isValidCron,
  specifiedCustomerReplyTrigger,
  timeReachTrigger,
  triggerSchema,
  type Trigger,
  type TriggerType,
} from './triggers/index.js';

// The priorities live in kinds.ts, without zod, for the modules that need only them.
export { PRIORITIES, PRIORITY_RANK, type Priority } from './kinds.js';
import { PRIORITIES } from './kinds.js';

const fileUrl = text(2048);

export const sendMessageAction = z.object({
  type: z.literal('send_message'),
  message: text(4000),
});
export const sendFileAction = z.object({
  type: z.literal('send_file'),
  file_url: fileUrl,
  file_name: text(255).optional(),
  /** Optional text sent before the file. */
  message: text(4000).optional(),
});
export const sendImageAction = z.object({
  type: z.literal('send_image'),
  file_url: fileUrl,
  message: text(4000).optional(),
});
export const actionSchema = z.discriminatedUnion('type', [sendMessageAction, sendFileAction, sendImageAction]);
export type Action = z.infer<typeof actionSchema>;
export const ACTION_TYPES: readonly Action['type'][] = ['send_message', 'send_file', 'send_image'];

export const customerSchema = z.object({
  id: id,
  name: text(128).optional(),
  /** Our WeCom account this customer talks to; learnt from the bridge when absent. */
  acc_id: id.optional(),
});

export const taskPayloadSchema = z
  .object({
    task_id: id,
    /** Free-form task kind from Tianwang, e.g. "send_file_after_reply". */
    type: text(64).default('task'),
    customer: customerSchema.optional(),
    trigger: triggerSchema,
    action: actionSchema,
    priority: z.enum(PRIORITIES).default('normal'),
    timeout_hours: z.number().positive('must be greater than 0').max(8760, 'must be at most 8760 (one year)').default(24),
    max_retry: z.number().int('must be a whole number').min(0).max(20).default(3),
    created_by: text(128).optional(),
  })
  .superRefine((task, ctx) => {
    // Clock-fired tasks have no replying customer: the task itself must say whom to send to.
    if ((CLOCK_TRIGGER_TYPES as readonly string[]).includes(task.trigger.type) && !task.customer) {
      ctx.addIssue({ code: 'custom', path: ['customer'], message: `is required for a ${task.trigger.type} trigger (whom to send to)` });
    }
  });
export type TaskPayload = z.infer<typeof taskPayloadSchema>;
/** The payload as sent, before defaults are applied. */
export type TaskPayloadInput = z.input<typeof taskPayloadSchema>;

/** "trigger.keyword" from a zod path. */
function fieldName(path: readonly PropertyKey[]): string {
  return (
    path
      .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
      .join('.')
      .replace(/\.\[/g, '[') || '(body)'
  );
}

/** One line that names each field at fault, e.g. `trigger.keyword: required; priority: must be one of …`. */
export function describeIssues(error: z.ZodError): { message: string; field: string } {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const field = fieldName(issue.path);
    return `${field}: ${issueMessage(issue)}`;
  });
  return { message: parts.join('; '), field: fieldName(error.issues[0]?.path ?? []) };
}

function issueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      // zod 4 keeps the input only when parsing with { reportInput: true }; otherwise its message says what it got.
      const missing = 'input' in issue ? issue.input === undefined : /received undefined$/.test(issue.message);
      return missing ? 'is required' : `must be ${issue.expected}`;
    }
    case 'invalid_union': {
      const parent = issue.path[issue.path.length - 2];
      const known = parent === 'trigger' ? TRIGGER_TYPES : parent === 'action' ? ACTION_TYPES : null;
      return known ? `must be one of ${known.join(', ')}` : issue.message;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

/** Validates a payload; throws ValidationError naming the field. */
export function parseTaskPayload(input: unknown): TaskPayload {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationError('(body): must be a JSON object', '(body)');
  }
  const result = taskPayloadSchema.safeParse(input, { reportInput: true });
  if (!result.success) {
    const { message, field } = describeIssues(result.error);
    throw new ValidationError(message, field);
  }
  return result.data;
}
