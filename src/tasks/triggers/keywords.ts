/** What the keyword triggers share: the first keyword a message says, and the --keyword and --exact flags. Pure. */
import { ValidationError } from '../../errors.js';
import { keywordMatches } from '../normalize.js';
import type { MatchResult, TriggerFlagSpec } from './descriptor.js';

export function firstMatch(content: string, keywords: readonly string[], exact: boolean): MatchResult | null {
  for (const keyword of keywords) {
    if (keywordMatches(content, keyword, exact)) return { keyword };
  }
  return null;
}

export const KEYWORD_FLAG: TriggerFlagSpec = {
  name: 'keyword',
  char: 'k',
  kind: 'strings',
  summary: 'A keyword the customer’s reply must contain; repeat for several (customer_keyword).',
  helpValue: 'WORD',
};

export const EXACT_FLAG: TriggerFlagSpec = {
  name: 'exact',
  kind: 'boolean',
  summary: 'The whole reply must equal the keyword (exact_match), not just contain it.',
};

/** `好的`, or `= 好的` with exact_match. */
export function oneKeywordCondition(t: { keyword?: unknown; exact_match?: boolean }): string {
  return t.exact_match ? `= ${String(t.keyword)}` : String(t.keyword ?? '(no keyword)');
}

/** The one --keyword of a one-keyword trigger; several are refused rather than all but the first dropped. */
export function oneKeywordFlag(type: string, keywords: readonly string[] | undefined): string | undefined {
  if (keywords && keywords.length > 1) {
    throw new ValidationError(`--keyword: a ${type} trigger takes one keyword; use --trigger customer_keyword for several`, '--keyword');
  }
  return keywords?.[0];
}
