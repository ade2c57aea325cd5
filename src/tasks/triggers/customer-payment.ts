/** `customer_payment`: a customer says they paid (default payment words), optionally only one named customer. */
import { z } from 'zod';
import { id, keywordList } from '../fields.js';
import { EMPTY_COLUMNS, defineTrigger } from './descriptor.js';
import { KEYWORD_FLAG, firstMatch } from './keywords.js';

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

export const customerPaymentTrigger = z.object({
  type: z.literal('customer_payment'),
  keywords: keywordList.optional(),
  /** Optional: only this customer's payment fires the task. */
  customer_id: id.optional(),
});

export const customerPayment = defineTrigger<z.infer<typeof customerPaymentTrigger>>({
  type: 'customer_payment',
  summary: 'a customer (or the named one) says they paid',
  schema: customerPaymentTrigger,
  firedBy: ['one-customer', 'any-customer'],
  customerOf: (t) => t.customer_id ?? null,
  match(t, message) {
    if (t.customer_id && message.from_id !== t.customer_id) return null;
    return firstMatch(message.content, t.keywords ?? DEFAULT_PAYMENT_KEYWORDS, false);
  },
  keywords: (t) => ({ words: [...(t.keywords ?? DEFAULT_PAYMENT_KEYWORDS)], exact: false }),
  expiry: 'from-receipt',
  columns: (t) => ({
    ...EMPTY_COLUMNS,
    specified_customer_id: t.customer_id ?? null,
    trigger_keywords: t.keywords ?? [...DEFAULT_PAYMENT_KEYWORDS],
  }),
  fromSeedRow: (row) => ({ type: row.trigger_type, ...(row.keywords.length ? { keywords: row.keywords } : {}) }),
  cli: {
    flags: [KEYWORD_FLAG],
    fromFlags: (f) => ({ type: 'customer_payment', keywords: f.keyword?.length ? f.keyword : undefined, customer_id: f.customer }),
    fieldFlags: { keywords: '--keyword', customer_id: '--customer' },
  },
  display: { condition: (t) => (t.keywords ? t.keywords.join('|') : '(payment words)') },
});
