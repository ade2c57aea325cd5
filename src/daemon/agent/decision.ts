/**
 * What a turn decided, in one word, read from what it did (its tool calls, orders, handoff) rather than from its
 * text, so it means the same for every provider: the eval's confusion table and the replay's diff use it.
 *   faq:<id> · smalltalk · ask (a clarifying question, or the order's missing fields) · confirm (an order read
 *   back) · dispatch (派单) · handoff (转接人工) · cancel · payment · status · file · reply (an LLM's own words) ·
 *   none (silent).
 */
import type { ChatToolCall } from '../../store/index.js';
import type { Faq } from './faq.js';

export interface DecidedTurn {
  tool_calls: ChatToolCall[];
  handoff: boolean;
  /** Orders dispatched by the turn (or a count of them, from the chat log). */
  dispatched: number;
  replied: boolean;
}

export const DECISION_CATEGORIES = [
  'faq',
  'smalltalk',
  'ask',
  'confirm',
  'dispatch',
  'handoff',
  'cancel',
  'payment',
  'status',
  'file',
  'reply',
  'none',
] as const;
export type DecisionCategory = (typeof DECISION_CATEGORIES)[number];

export function decisionOf(t: DecidedTurn, faq: Faq): string {
  const ok = t.tool_calls.filter((c) => !c.error);
  const has = (name: string) => ok.find((c) => c.name === name);
  if (t.dispatched > 0 || has('dispatch_order')) return 'dispatch';
  if (t.handoff || has('transfer_to_human')) return 'handoff';
  if (has('cancel_order')) return 'cancel';
  const proposal = has('propose_order');
  if (proposal) return (proposal.result as { awaiting_confirmation?: boolean } | undefined)?.awaiting_confirmation ? 'confirm' : 'ask';
  if (has('customer_tasks')) return 'status';
  if (has('clarify')) return 'ask';
  if (has('payment_reply')) return 'payment';
  if (has('file_reply')) return 'file';
  const lookup = has('faq_lookup');
  const id = (lookup?.result as { ids?: string[] } | undefined)?.ids?.[0];
  if (id) return faq.data.entries.find((e) => e.id === id)?.smalltalk ? 'smalltalk' : `faq:${id}`;
  return t.replied ? 'reply' : 'none';
}

/** faq:price → faq; the rest are their own category. */
export function categoryOf(decision: string): DecisionCategory {
  const c = decision.startsWith('faq:') ? 'faq' : decision;
  return (DECISION_CATEGORIES as readonly string[]).includes(c) ? (c as DecisionCategory) : 'reply';
}
