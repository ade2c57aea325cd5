/**
 * Whether a customer's message fires a task's trigger (the seed's "匹配逻辑": customer id → customer name
 * (optional) → keyword). Pure.
 */
import { keywordMatches, normalizeText } from './normalize.js';
import { DEFAULT_PAYMENT_KEYWORDS } from './kinds.js';
import type { Trigger } from './schema.js';

/** A customer's message as the bridge delivered it (aliases already mapped). */
export interface CustomerMessage {
  acc_id: string;
  from_id: string;
  from_name?: string;
  content: string;
  /** Typed on our own account: never a customer reply. */
  is_self?: boolean;
}

export interface MatchResult {
  /** The keyword that matched, for the log and the task's result. */
  keyword: string;
}

export function matchesTrigger(task: { trigger: Trigger }, message: CustomerMessage): MatchResult | null {
  if (message.is_self) return null;
  const t = task.trigger;
  switch (t.type) {
    case 'specified_customer_reply':
      if (message.from_id !== t.customer_id) return null;
      // The name is checked only when both sides have one: WeCom nicknames are optional and change.
      if (t.customer_name && message.from_name && normalizeText(t.customer_name) !== normalizeText(message.from_name)) {
        return null;
      }
      return firstMatch(message.content, [t.keyword], t.exact_match);
    case 'customer_reply':
      return firstMatch(message.content, [t.keyword], t.exact_match);
    case 'customer_keyword':
      return firstMatch(message.content, t.keywords, t.exact_match);
    case 'customer_payment':
      if (t.customer_id && message.from_id !== t.customer_id) return null;
      return firstMatch(message.content, t.keywords ?? DEFAULT_PAYMENT_KEYWORDS, false);
    case 'time_reach':
    case 'cron':
      return null;
  }
}

function firstMatch(content: string, keywords: readonly string[], exact: boolean): MatchResult | null {
  for (const keyword of keywords) {
    if (keywordMatches(content, keyword, exact)) return { keyword };
  }
  return null;
}
