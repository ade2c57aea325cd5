/**
 * Conversation replay (`aics agent replay`): the customers' real messages from the chat log, played again against
 * another FAQ, prompt or provider, in this process, on a temporary database — nothing is sent, nothing dispatched.
 * Each customer turn of the log (the messages before our answer; a burst is merged into one turn, as the daemon
 * does) is said again at the time it was first said, and what the agent now decides is set beside what it decided
 * then: the answer, and whether it was a 派单 or a 转接人工 (decision.ts). A human who typed on our account is
 * replayed too, so the agent keeps quiet where it did.
 */
import type { ChatMessage } from '../../store/index.js';
import { decisionOf } from './decision.js';
import type { LocalAgent } from './dialogue.js';
import type { Faq } from './faq.js';

export interface ReplayRow {
  conv: string;
  at: string;
  /** The customer's messages of the turn, one a line. */
  said: string;
  before: { decision: string; reply: string };
  after: { decision: string; reply: string };
  /** The reply's words differ. */
  answer_changed: boolean;
  /** The decision differs (faq:price → faq:rush, ask → dispatch …). */
  decision_changed: boolean;
}

export interface ReplaySummary {
  conversations: number;
  turns: number;
  answers_changed: number;
  decisions_changed: number;
  dispatch: { before: number; after: number };
  handoff: { before: number; after: number };
}

interface Turn {
  at: string;
  atMs: number;
  customer: ChatMessage[];
  answer: ChatMessage[];
}

type Step = { human: ChatMessage } | { turn: Turn };

/** Customer messages further apart than this were separate turns even when nobody answered them (after 转接人工). */
const BURST_GAP_MS = 10_000;

/** A conversation's log as replay steps: customer turns with the answer they got, and a human's messages. */
export function stepsOf(messages: ChatMessage[]): Step[] {
  const steps: Step[] = [];
  let turn: Turn | null = null;
  for (const m of messages) {
    if (m.role === 'customer') {
      const gap = turn ? Date.parse(m.at) - Date.parse(turn.customer.at(-1)!.at) : 0;
      if (!turn || turn.answer.length || gap > BURST_GAP_MS) {
        turn = { at: m.at, atMs: Date.parse(m.at), customer: [], answer: [] };
        steps.push({ turn });
      }
      turn.customer.push(m);
    } else if (m.role === 'agent') {
      turn?.answer.push(m);
    } else if (m.role === 'human') {
      steps.push({ human: m });
      turn = null;
    }
  }
  return steps;
}

function recorded(answer: ChatMessage[], faq: Faq): { decision: string; reply: string } {
  const calls = answer.flatMap((m) => m.tool_calls ?? []);
  const ok = calls.filter((c) => !c.error);
  return {
    decision: decisionOf(
      {
        tool_calls: calls,
        handoff: ok.some((c) => c.name === 'transfer_to_human'),
        dispatched: ok.filter((c) => c.name === 'dispatch_order').length,
        replied: answer.length > 0,
      },
      faq,
    ),
    reply: answer.map((m) => m.text).join(''),
  };
}

function describe(m: ChatMessage): string {
  if (!m.file) return m.text;
  return [m.text.trim(), `[${m.msg_type === 'image' ? '图片' : '文件'}: ${m.file.name ?? m.file.url ?? m.file.path ?? ''}]`]
    .filter(Boolean)
    .join(' ');
}

/**
 * Replays `messages` (the chat log's, oldest first; conversations in the order they began) on `local`, whose clock the
 * caller hands in as `setNow`, so each turn runs at its original time (business hours, handoff windows).
 */
export async function replay(
  local: LocalAgent,
  messages: ChatMessage[],
  setNow: (ms: number) => void,
): Promise<{ rows: ReplayRow[]; summary: ReplaySummary }> {
  const byConv = new Map<string, ChatMessage[]>();
  for (const m of messages) (byConv.get(m.conv) ?? byConv.set(m.conv, []).get(m.conv)!).push(m);
  const rows: ReplayRow[] = [];
  const faq = local.agent.faq;
  for (const [conv, log] of byConv) {
    const customer = { id: conv, name: undefined as string | undefined };
    for (const step of stepsOf(log)) {
      if ('human' in step) {
        setNow(Date.parse(step.human.at));
        await local.human(customer, step.human.text);
        continue;
      }
      const { turn } = step;
      setNow(turn.atMs);
      const only = turn.customer.length === 1 ? turn.customer[0]! : null;
      const outcome = only
        ? await local.say(customer, only.text, { msg_type: only.msg_type, ...(only.file ? { file: { ...only.file } } : {}) })
        : await local.say(customer, turn.customer.map(describe).join('\n'));
      const before = recorded(turn.answer, faq);
      const after = {
        decision: outcome
          ? decisionOf(
              {
                tool_calls: outcome.tool_calls,
                handoff: outcome.handoff,
                dispatched: outcome.orders.length,
                replied: outcome.sent.length > 0,
              },
              faq,
            )
          : 'none',
        reply: outcome?.sent.join('') ?? '',
      };
      rows.push({
        conv,
        at: turn.at,
        said: turn.customer.map(describe).join('\n'),
        before,
        after,
        // An order id is a hash of the conversation: the same order has another id on another database.
        answer_changed: withoutOrderIds(before.reply) !== withoutOrderIds(after.reply),
        decision_changed: before.decision !== after.decision,
      });
    }
  }
  const count = (f: (r: ReplayRow) => boolean) => rows.filter(f).length;
  return {
    rows,
    summary: {
      conversations: byConv.size,
      turns: rows.length,
      answers_changed: count((r) => r.answer_changed),
      decisions_changed: count((r) => r.decision_changed),
      dispatch: { before: count((r) => r.before.decision === 'dispatch'), after: count((r) => r.after.decision === 'dispatch') },
      handoff: { before: count((r) => r.before.decision === 'handoff'), after: count((r) => r.after.decision === 'handoff') },
    },
  };
}

const withoutOrderIds = (text: string) => text.replace(/ORD_[0-9A-F]{16}/g, 'ORD_…');
