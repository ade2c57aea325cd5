/**
 * The off-hours message: outside business hours the first reply in a conversation starts with it, once per closed
 * spell (the agent still answers what it can; a 转接人工 is queued for the next opening by the tools).
 */
import type { Store } from '../../store/index.js';
import type { BusinessHours } from './business-hours.js';
import type { Faq } from './faq.js';
import type { TurnResult } from './turn-result.js';
import type { Conversation } from './tools.js';

/** The marker in the chat log that this conversation was told, read back to tell it only once. */
export const OFF_HOURS_CALL = 'off_hours_notice';

export async function withOffHoursNotice(
  result: TurnResult,
  o: { hours: BusinessHours; store: Store; faq: Faq; conv: Conversation; now: number },
): Promise<TurnResult> {
  const { hours, store, faq, conv, now } = o;
  if (hours.isOpen(now)) return result;
  const closedAt = hours.lastClosing(now);
  const recent = await store.agent.history(conv.acc_id, conv.from_id, 50);
  const told = recent.some(
    (m) => m.role === 'agent' && Date.parse(m.at) >= closedAt && (m.tool_calls ?? []).some((c) => c.name === OFF_HOURS_CALL),
  );
  if (told) return result;
  const opens = hours.nextOpening(now);
  const notice = faq.data.off_hours_reply.replaceAll('{opens}', opens === null ? '' : hours.format(opens));
  const calls = [
    ...result.tool_calls,
    { name: OFF_HOURS_CALL, args: {}, result: { opens: opens === null ? null : new Date(opens).toISOString() } },
  ];
  // A handoff's own reply already says when a person answers.
  if (result.handoff) return { ...result, tool_calls: calls };
  return { ...result, reply: result.reply ? `${notice}\n${result.reply}` : notice, tool_calls: calls };
}
