/**
 * The `rules` provider: no network, the FAQ file decides, from the whole message (intent.ts, FaqIndex), in order:
 *   the confirmation step (a yes / no to the last read-back, order-draft.ts, shared with every provider);
 *   files only → the file reply (or the read-back again, with the file counted, while an order is being collected);
 *   more fields for the order being collected → propose_order (read back again);
 *   a request for a person or a complaint → transfer_to_human (转接人工);
 *   status words → customer_tasks; an order (order words, or product + quantity, and not a question) →
 *   propose_order, which asks for what is missing or reads the order back; payment said → the payment reply;
 *   a FAQ entry scoring at least min_score → its answer (two when a message asks two things);
 *   else a short clarifying question — and after MAX_CLARIFY of those in a row, 转接人工: the bot has failed.
 * It is also what the openai provider falls back to, so a customer is never left without an answer.
 */
import type { ChatMessage } from '../../store/index.js';
import { Faq } from './faq.js';
import { asksForPerson, asksPrice, complains, isQuestion } from './intent.js';
import { confirmationStep } from './order-draft.js';
import { readOrderFields } from './order-fields.js';
import type { Provider, TurnInput } from './provider.js';

export { parseOrder } from './order-fields.js';

/** Clarifying questions in a row before the conversation goes to a person. */
export const MAX_CLARIFY = 2;
/** A second FAQ answer joins the first when it scores at least this share of it (「多少钱，几天能好」). */
const SECOND_ANSWER_SHARE = 0.8;

const STATUS_WORDS: Record<string, string> = {
  pending: '待处理',
  waiting: '等待中',
  running: '处理中',
  completed: '已完成',
  failed: '失败',
  cancelled: '已取消',
  expired: '已过期',
};

export class RulesProvider implements Provider {
  readonly name = 'rules';

  constructor(private readonly faq: Faq) {}

  async respond(input: TurnInput): Promise<string | null> {
    const { text, onlyFiles, tools, history } = input;
    const d = this.faq.data;
    const confirmed = await confirmationStep(input, this.faq);
    if (confirmed) return confirmed;
    const draft = await tools.pendingDraft();
    if (onlyFiles) {
      if (draft) return this.propose(input, {});
      tools.calls.push({ name: 'file_reply', args: {} });
      return d.file_reply;
    }
    const fields = readOrderFields(text, this.faq);
    const question = isQuestion(text);
    if (draft && Object.keys(fields).length && !question) return this.propose(input, fields);
    if (asksForPerson(text, this.faq) || complains(text, this.faq)) {
      await tools.run('transfer_to_human', { reason: `客户说「${text.slice(0, 100)}」` });
      return tools.confirmation;
    }
    if (Faq.said(text, d.status_words)) return this.status(input);
    const orderWord = Faq.said(text, d.order_words);
    if (!question && !asksPrice(text) && (orderWord || (fields.product && fields.quantity))) return this.propose(input, fields);
    if (Faq.said(text, d.payment_words) && !question) {
      tools.calls.push({ name: 'payment_reply', args: {} });
      return d.payment_reply;
    }
    const [best, second] = this.faq.lookup(text);
    if (best) {
      const answers = [
        best,
        ...(second && !best.smalltalk && !second.smalltalk && second.score >= best.score * SECOND_ANSWER_SHARE ? [second] : []),
      ];
      tools.calls.push({
        name: 'faq_lookup',
        args: { question: text },
        result: { ids: answers.map((a) => a.id), scores: answers.map((a) => a.score) },
      });
      return answers.map((a) => a.answer).join('\n');
    }
    if (clarificationsInARow(history) >= MAX_CLARIFY) {
      await tools.run('transfer_to_human', { reason: `没能理解客户的问题（连续 ${MAX_CLARIFY + 1} 次）` });
      return tools.confirmation;
    }
    const top = this.faq.rank(text)[0];
    tools.calls.push({ name: 'clarify', args: { question: text }, result: top ? { best: top.id, score: top.score } : {} });
    return d.clarify_reply;
  }

  private async propose({ tools, conv }: TurnInput, fields: Record<string, unknown>): Promise<string | null> {
    await tools.run('propose_order', { ...fields, ...(conv.from_name ? { customer: conv.from_name } : {}) });
    return tools.confirmation;
  }

  private async status({ tools }: TurnInput): Promise<string> {
    const r = (await tools.run('customer_tasks', {})) as {
      tasks: { task_id: string; status: string }[];
      orders: { order_id: string; product?: string }[];
    };
    const lines = [
      ...r.orders.slice(0, 3).map((o) => `订单 ${o.order_id}（${o.product ?? ''}）已派单，设计师处理中`),
      ...r.tasks.slice(0, 3).map((t) => `任务 ${t.task_id}：${STATUS_WORDS[t.status] ?? t.status}`),
    ];
    return lines.length ? `为您查到：\n${lines.join('\n')}` : this.faq.data.status_reply_none;
  }
}

/** How many of our last turns in a row were clarifying questions (a human's message ends the run). */
function clarificationsInARow(history: ChatMessage[]): number {
  let n = 0;
  for (const m of [...history].reverse()) {
    if (m.role === 'human') break;
    if (m.role !== 'agent' || m.latency_ms === null) continue;
    if (!(m.tool_calls ?? []).some((c) => c.name === 'clarify')) break;
    n++;
  }
  return n;
}
