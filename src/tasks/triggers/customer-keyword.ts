/** `customer_keyword`: any customer's message says any of several keywords. */
import { z } from 'zod';
import { keywordList } from '../fields.js';
import { EMPTY_COLUMNS, defineTrigger } from './descriptor.js';
import { EXACT_FLAG, KEYWORD_FLAG, firstMatch } from './keywords.js';

export const customerKeywordTrigger = z.object({
  type: z.literal('customer_keyword'),
  keywords: keywordList,
  exact_match: z.boolean().default(false),
});

export const customerKeyword = defineTrigger<z.infer<typeof customerKeywordTrigger>>({
  type: 'customer_keyword',
  summary: 'any customer says any of several keywords',
  schema: customerKeywordTrigger,
  firedBy: ['any-customer'],
  customerOf: () => null,
  match: (t, message) => firstMatch(message.content, t.keywords, t.exact_match),
  keywords: (t) => ({ words: t.keywords, exact: t.exact_match }),
  expiry: 'from-receipt',
  columns: (t) => ({ ...EMPTY_COLUMNS, trigger_keywords: t.keywords, exact_match: t.exact_match }),
  fromSeedRow: (row) => ({ type: row.trigger_type, keywords: row.keywords, exact_match: false }),
  cli: {
    flags: [KEYWORD_FLAG, EXACT_FLAG],
    fromFlags: (f) => ({ type: 'customer_keyword', keywords: f.keyword?.length ? f.keyword : undefined, exact_match: f.exact ?? false }),
    fieldFlags: { keywords: '--keyword', exact_match: '--exact' },
  },
  display: {
    condition: (t) => (t.exact_match ? '= ' : '') + (Array.isArray(t.keywords) ? t.keywords.join('|') : '(no keywords)'),
  },
});
