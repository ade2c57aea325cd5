/**
 * The task model's fixed lists, without zod: the store and the CLI's listing commands read them on every start, and
 * importing the schema (zod) for them would cost those commands more than the rest of their start-up. schema.ts
 * re-exports them, so `tasks/index.js` offers them as before.
 */

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
/** Higher fires first when several tasks match one message. */
export const PRIORITY_RANK: Record<Priority, number> = { low: 0, normal: 1, high: 2, urgent: 3 };

/** What customers typically write when they have paid; used when a customer_payment trigger names no keywords. */
export const DEFAULT_PAYMENT_KEYWORDS = [
  '已付款',
  '付款了',
  '已支付',
  '支付了',
  '付过了',
  '已转账',
  '转账了',
  '拍下了',
  '已拍',
  '已下单',
] as const;

/** The trigger types of schema.ts's triggerSchema (schema.ts checks at compile time that both lists agree). */
export type TriggerKind = 'specified_customer_reply' | 'customer_reply' | 'customer_keyword' | 'customer_payment' | 'time_reach' | 'cron';
export const TRIGGER_TYPES: readonly TriggerKind[] = [
  'specified_customer_reply',
  'customer_reply',
  'customer_keyword',
  'customer_payment',
  'time_reach',
  'cron',
];
