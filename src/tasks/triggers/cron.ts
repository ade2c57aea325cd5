/** `cron`: the clock fires the task at every occurrence of a cron expression; it never expires. */
import { z } from 'zod';
import type * as CronParser from 'cron-parser';
import { createRequire } from 'node:module';
import { text } from '../fields.js';
import { EMPTY_COLUMNS, defineTrigger } from './descriptor.js';

/** With 5 fields a cron fires at most once a minute; with 6, only when the seconds field is a single number. */
export function firesAtMostOncePerMinute(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  return fields.length < 6 || /^\d{1,2}$/.test(fields[0]!);
}

// cron-parser (with luxon) is required on the first cron expression, not imported: the registry is loaded by every
// command that reads a stored task, and most never parse a cron expression. It is CommonJS, so a synchronous
// require keeps these functions synchronous.
const require = createRequire(import.meta.url);
let parser: typeof CronParser.CronExpressionParser | undefined;
function cronParser(): typeof CronParser.CronExpressionParser {
  parser ??= (require('cron-parser') as typeof CronParser).CronExpressionParser;
  return parser;
}

export function isValidCron(expression: string): boolean {
  try {
    cronParser().parse(expression);
    return true;
  } catch {
    return false;
  }
}

export function nextCronRun(expression: string, afterMs: number, zone: string): number {
  return cronParser()
    .parse(expression, { currentDate: new Date(afterMs), tz: zone })
    .next()
    .getTime();
}

export const cronTrigger = z.object({
  type: z.literal('cron'),
  /** A cron expression (5 or 6 fields), e.g. "0 9 * * *" = every day at 09:00 in the configured zone. */
  expression: text(120)
    .refine((expr) => isValidCron(expr), 'is not a valid cron expression (e.g. "0 9 * * *")')
    .refine(
      (expr) => !isValidCron(expr) || firesAtMostOncePerMinute(expr),
      'fires more than once a minute, the minimum interval (with 6 fields the seconds field must be one number, e.g. "0 */5 * * * *")',
    ),
});

export const cron = defineTrigger<z.infer<typeof cronTrigger>>({
  type: 'cron',
  summary: 'the clock reaches each occurrence of a cron expression (recurring)',
  schema: cronTrigger,
  firedBy: ['clock'],
  customerOf: () => null,
  dueAt: (t, nowMs, zone) => nextCronRun(t.expression, nowMs, zone),
  expiry: 'never',
  recurring: true,
  columns: (t) => ({ ...EMPTY_COLUMNS, trigger_time: t.expression }),
  problem(taskId, t) {
    if (typeof t.expression === 'string' && t.expression.trim() !== '') return null;
    return (
      `cron trigger has no expression (the Python system's tasks.db has no column for it): it will never fire; ` +
      `cancel it with \`aics task cancel ${taskId} --reason …\` and add it again with \`aics task add\``
    );
  },
  cli: {
    impliedBy: 'cron',
    flags: [
      {
        name: 'cron',
        kind: 'string',
        summary: 'A cron expression for a recurring task, e.g. "0 9 * * *" (09:00 every day, AICS_TZ).',
        helpValue: 'EXPR',
      },
    ],
    fromFlags: (f) => ({ type: 'cron', expression: f.cron }),
    fieldFlags: { expression: '--cron' },
  },
  display: { condition: (t) => (typeof t.expression === 'string' && t.expression ? t.expression : '(no expression: see task status)') },
});
