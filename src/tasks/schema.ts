/**
 * The task payload exactly as Tianwang POSTs it to /api/task/receive (the seed's example), validated with zod.
 * The API and `aics task add --file` share these schemas, so an error names the same field in both.
 */
import { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';
import { ValidationError } from '../errors.js';
import { PRIORITIES, TRIGGER_TYPES, type TriggerKind } from './kinds.js';
import { normalizeText } from './normalize.js';

/** A UTF-16 surrogate not part of a pair (the `u` flag makes a pair one code point, so only lone ones match). */
const LONE_SURROGATE = /[\ud800-\udfff]/u;
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    // SQLite keeps a lone surrogate as bytes that read back as U+FFFD: a task_id would answer under another id.
    .refine((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode (it holds a lone surrogate)');
/**
 * Ids go into URLs, log lines, terminals and (percent-encoded) HTTP headers. Control characters (C0, DEL, C1) and
 * invisible format characters (bidi overrides, zero-width spaces and joiners, BOM) make two ids look alike or rewrite
 * a terminal line, so they are refused; Chinese, emoji and other visible characters are fine.
 */
const INVISIBLE = /[\s\p{Cc}\p{Cf}]/u;
const id = text(128).refine((s) => !INVISIBLE.test(s), 'must not contain spaces, control characters, or bidi or zero-width characters');

export { DEFAULT_PAYMENT_KEYWORDS, PRIORITIES, PRIORITY_RANK, TRIGGER_TYPES, type Priority } from './kinds.js';

/** A keyword that normalises to nothing (👍, ?, 。) could never fire: see normalize.ts. */
const keyword = text(200).refine((k) => k === '' || normalizeText(k) !== '', 'must contain a letter, digit or character other than punctuation, symbols and spaces (it could never match)');
const keywordList = z.array(keyword).min(1, 'needs at least one keyword').max(50, 'at most 50 keywords');

export const specifiedCustomerReplyTrigger = z.object({
  type: z.literal('specified_customer_reply'),
  customer_id: id,
  customer_name: text(128).optional(),
  keyword,
  exact_match: z.boolean().default(false),
});

export const customerReplyTrigger = z.object({
  type: z.literal('customer_reply'),
  keyword,
  exact_match: z.boolean().default(false),
});

export const customerKeywordTrigger = z.object({
  type: z.literal('customer_keyword'),
  keywords: keywordList,
  exact_match: z.boolean().default(false),
});

export const customerPaymentTrigger = z.object({
  type: z.literal('customer_payment'),
  keywords: keywordList.optional(),
  /** Optional: only this customer's payment fires the task. */
  customer_id: id.optional(),
});

export const timeReachTrigger = z.object({
  type: z.literal('time_reach'),
  /** "2026-02-28 09:00:00" in the configured zone, or ISO 8601 with an offset. */
  time: text(40),
});

export const cronTrigger = z.object({
  type: z.literal('cron'),
  /** A cron expression (5 or 6 fields), e.g. "0 9 * * *" = every day at 09:00 in the configured zone. */
  expression: text(120)
    .refine((expr) => isValidCron(expr), 'is not a valid cron expression (e.g. "0 9 * * *")')
    .refine((expr) => !isValidCron(expr) || firesAtMostOncePerMinute(expr), 'fires more than once a minute, the minimum interval (with 6 fields the seconds field must be one number, e.g. "0 */5 * * * *")'),
});

export const triggerSchema = z.discriminatedUnion('type', [
  specifiedCustomerReplyTrigger,
  customerReplyTrigger,
  customerKeywordTrigger,
  customerPaymentTrigger,
  timeReachTrigger,
  cronTrigger,
]);
export type Trigger = z.infer<typeof triggerSchema>;
export type TriggerType = Trigger['type'];
// kinds.ts lists the trigger types without zod: both lists must name the same types.
const sameTriggerTypes: [TriggerType] extends [TriggerKind] ? ([TriggerKind] extends [TriggerType] ? true : never) : never = true;
void sameTriggerTypes;

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
    if ((task.trigger.type === 'time_reach' || task.trigger.type === 'cron') && !task.customer) {
      ctx.addIssue({ code: 'custom', path: ['customer'], message: `is required for a ${task.trigger.type} trigger (whom to send to)` });
    }
  });
export type TaskPayload = z.infer<typeof taskPayloadSchema>;
/** The payload as sent, before defaults are applied. */
export type TaskPayloadInput = z.input<typeof taskPayloadSchema>;

/** With 5 fields a cron fires at most once a minute; with 6, only when the seconds field is a single number. */
export function firesAtMostOncePerMinute(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  return fields.length < 6 || /^\d{1,2}$/.test(fields[0]!);
}

export function isValidCron(expression: string): boolean {
  try {
    CronExpressionParser.parse(expression);
    return true;
  } catch {
    return false;
  }
}

/** "trigger.keyword" from a zod path. */
function fieldName(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') || '(body)';
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
