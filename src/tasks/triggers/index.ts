/**
 * The trigger registry: every trigger type, one descriptor each (one file each in this folder). The schemas, the
 * matching, the deadlines, the storage columns, the store's any-customer query, `aics task add`'s flags and the
 * display all derive from this list, so a trigger type is added here and nowhere else. Pure.
 */
import { z } from 'zod';
import type { FiredBy, TriggerDescriptor, TriggerFlagSpec } from './descriptor.js';
import { cron, cronTrigger } from './cron.js';
import { customerKeyword, customerKeywordTrigger } from './customer-keyword.js';
import { customerPayment, customerPaymentTrigger } from './customer-payment.js';
import { customerReply, customerReplyTrigger } from './customer-reply.js';
import { specifiedCustomerReply, specifiedCustomerReplyTrigger } from './specified-customer-reply.js';
import { timeReach, timeReachTrigger } from './time-reach.js';

export * from './descriptor.js';
export { specifiedCustomerReplyTrigger } from './specified-customer-reply.js';
export { customerReplyTrigger } from './customer-reply.js';
export { customerKeywordTrigger } from './customer-keyword.js';
export { DEFAULT_PAYMENT_KEYWORDS, customerPaymentTrigger } from './customer-payment.js';
export { timeReachTrigger } from './time-reach.js';
export { cronTrigger, firesAtMostOncePerMinute, isValidCron, nextCronRun } from './cron.js';

/** In the order `--trigger` lists them and errors name them. */
export const TRIGGERS = [specifiedCustomerReply, customerReply, customerKeyword, customerPayment, timeReach, cron] as const;

/** The same schemas, named again so that zod infers the union (the registry test checks both lists agree). */
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
export const TRIGGER_TYPES: readonly TriggerType[] = TRIGGERS.map((d) => d.type);

const BY_TYPE = new Map<string, TriggerDescriptor>(TRIGGERS.map((d) => [d.type, d as unknown as TriggerDescriptor]));

/** The descriptor of a trigger type, or undefined for a type no version of aics knows (an adopted row). */
export function triggerDescriptor(type: string): TriggerDescriptor | undefined {
  return BY_TYPE.get(type);
}

/** The descriptor of a valid trigger. */
export function describeTrigger<T extends { type: string }>(trigger: T): TriggerDescriptor<T> {
  const d = BY_TYPE.get(trigger.type);
  if (!d) throw new Error(`unknown trigger type "${trigger.type}"`);
  return d as unknown as TriggerDescriptor<T>;
}

const typesFiredBy = (who: FiredBy): readonly TriggerType[] =>
  TRIGGERS.filter((d) => (d.firedBy as readonly FiredBy[]).includes(who)).map((d) => d.type);

/** Types a customer's message can fire (the rest are fired by the clock). */
export const MESSAGE_TRIGGER_TYPES = TRIGGERS.filter((d) => 'match' in d).map((d) => d.type) as readonly TriggerType[];
/** Types that any customer's message can fire (when the trigger names no customer): the engine keeps these in memory. */
export const ANY_CUSTOMER_TRIGGER_TYPES = typesFiredBy('any-customer');
/** Types only the clock fires: the task itself must name whom to send to. */
export const CLOCK_TRIGGER_TYPES = TRIGGERS.filter((d) => d.firedBy.every((w) => w === 'clock')).map(
  (d) => d.type,
) as readonly TriggerType[];

export const isMessageTrigger = (type: string): boolean => (MESSAGE_TRIGGER_TYPES as readonly string[]).includes(type);

/** `'a', 'b'`: a list of trigger types as SQL string literals, e.g. for `trigger_type IN (…)`. */
export function sqlTypeList(types: readonly string[]): string {
  return types.map((t) => `'${t.replace(/'/g, "''")}'`).join(', ');
}

/** The trigger-specific flags of `aics task add`, each once, with the types that accept it. */
export function triggerFlags(): { spec: TriggerFlagSpec; types: TriggerType[] }[] {
  const byName = new Map<string, { spec: TriggerFlagSpec; types: TriggerType[] }>();
  for (const d of TRIGGERS) {
    for (const spec of d.cli.flags) {
      const entry = byName.get(spec.name) ?? { spec, types: [] };
      entry.types.push(d.type);
      byName.set(spec.name, entry);
    }
  }
  return [...byName.values()];
}
