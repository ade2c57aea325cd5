/**
 * Whether a customer's message fires a task's trigger (the seed's "匹配逻辑": customer id → customer name
 * (optional) → keyword). Each trigger type's rule is in its registry file (./triggers). Pure.
 */
import { describeTrigger, type CustomerMessage, type MatchResult, type Trigger } from './triggers/index.js';

export type { CustomerMessage, MatchResult } from './triggers/index.js';

export function matchesTrigger(task: { trigger: Trigger }, message: CustomerMessage): MatchResult | null {
  if (message.is_self) return null;
  return describeTrigger(task.trigger).match?.(task.trigger, message) ?? null;
}
