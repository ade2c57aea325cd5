/** `customer_reply`: any customer's reply contains (or, exact, is) the keyword. */
import { z } from 'zod';
import { keyword } from '../fields.js';
import { EMPTY_COLUMNS, defineTrigger } from './descriptor.js';
import { EXACT_FLAG, KEYWORD_FLAG, firstMatch, oneKeywordCondition, oneKeywordFlag } from './keywords.js';

export const customerReplyTrigger = z.object({
  type: z.literal('customer_reply'),
  keyword,
  exact_match: z.boolean().default(false),
});

export const customerReply = defineTrigger<z.infer<typeof customerReplyTrigger>>({
  type: 'customer_reply',
  summary: 'any customer replies with the keyword',
  schema: customerReplyTrigger,
  firedBy: ['any-customer'],
  customerOf: () => null,
  match: (t, message) => firstMatch(message.content, [t.keyword], t.exact_match),
  keywords: (t) => ({ words: [t.keyword], exact: t.exact_match }),
  expiry: 'from-receipt',
  columns: (t) => ({ ...EMPTY_COLUMNS, trigger_keyword: t.keyword, exact_match: t.exact_match }),
  fromSeedRow: (row) => ({ type: row.trigger_type, keyword: row.trigger_keyword ?? row.keywords[0] ?? '', exact_match: false }),
  cli: {
    flags: [KEYWORD_FLAG, EXACT_FLAG],
    fromFlags: (f) => ({ type: 'customer_reply', keyword: oneKeywordFlag('customer_reply', f.keyword), exact_match: f.exact ?? false }),
    fieldFlags: { keyword: '--keyword', exact_match: '--exact' },
  },
  display: { condition: oneKeywordCondition },
});
