/**
 * The confirmation step every provider runs first: when the turn before read an order back (propose_order) and the
 * customer now says yes and nothing else, it is dispatched (派单); a no drops it. Anything else goes on to the
 * provider, which may change the draft with another propose_order. No provider can dispatch on its own, so a
 * 派单 always needs two messages: the order, then the customer's yes to its read-back.
 */
import type { Faq } from './faq.js';
import { saysNo, saysYes } from './intent.js';
import type { TurnInput } from './provider.js';

/** The reply when the step decided the turn; null when the provider should answer. */
export async function confirmationStep(input: TurnInput, faq: Faq): Promise<string | null> {
  if (input.onlyFiles) return null;
  // Most messages are neither a yes nor a no: they spare the chat-log read that finds the draft.
  const no = saysNo(input.text, faq);
  if (!no && !saysYes(input.text, faq)) return null;
  const draft = await input.tools.pendingDraft();
  if (!draft) return null;
  if (no) {
    input.tools.cancelOrder(draft);
    return input.tools.confirmation;
  }
  if (draft.missing.length === 0) {
    await input.tools.confirmOrder(draft);
    return input.tools.confirmation;
  }
  return null;
}
