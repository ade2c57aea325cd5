/** `specified_customer_reply`: the named customer's reply contains (or, exact, is) the keyword. The seed's example. */
import { z } from 'zod';
import { normalizeText } from '../normalize.js';
import { id, keyword, text } from '../fields.js';
import { EMPTY_COLUMNS, defineTrigger } from './descriptor.js';
import { EXACT_FLAG, KEYWORD_FLAG, firstMatch, oneKeywordCondition, oneKeywordFlag } from './keywords.js';

export const specifiedCustomerReplyTrigger = z.object({
  type: z.literal('specified_customer_reply'),
  customer_id: id,
  customer_name: text(128).optional(),
  keyword,
  exact_match: z.boolean().default(false),
});

export const specifiedCustomerReply = defineTrigger<z.infer<typeof specifiedCustomerReplyTrigger>>({
  type: 'specified_customer_reply',
  summary: 'one named customer replies with the keyword',
  schema: specifiedCustomerReplyTrigger,
  firedBy: ['one-customer'],
  customerOf: (t) => t.customer_id,
  match(t, message) {
    if (message.from_id !== t.customer_id) return null;
    // The name is checked only when both sides have one: WeCom nicknames are optional and change.
    if (t.customer_name && message.from_name && normalizeText(t.customer_name) !== normalizeText(message.from_name)) return null;
    return firstMatch(message.content, [t.keyword], t.exact_match);
  },
  keywords: (t) => ({ words: [t.keyword], exact: t.exact_match }),
  expiry: 'from-receipt',
  columns: (t) => ({
    ...EMPTY_COLUMNS,
    specified_customer_id: t.customer_id,
    specified_customer_name: t.customer_name ?? null,
    trigger_keyword: t.keyword,
    exact_match: t.exact_match,
  }),
  fromSeedRow: (row) => ({
    type: row.trigger_type,
    customer_id: row.specified_customer_id ?? row.customer_id,
    ...(row.specified_customer_name ? { customer_name: row.specified_customer_name } : {}),
    keyword: row.trigger_keyword ?? row.keywords[0] ?? '',
    exact_match: false,
  }),
  cli: {
    flags: [KEYWORD_FLAG, EXACT_FLAG],
    fromFlags: (f) => ({
      type: 'specified_customer_reply',
      customer_id: f.customer,
      customer_name: f['customer-name'],
      keyword: oneKeywordFlag('specified_customer_reply', f.keyword),
      exact_match: f.exact ?? false,
    }),
    fieldFlags: { customer_id: '--customer', customer_name: '--customer-name', keyword: '--keyword', exact_match: '--exact' },
  },
  display: { condition: oneKeywordCondition },
});
