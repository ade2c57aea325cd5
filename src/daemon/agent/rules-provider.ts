/**
 * The `rules` provider: no network, the FAQ file decides. In order: handoff words → transfer_to_human; order words
 * with a product and a quantity → dispatch_order (派单), without them → ask for them; payment words → the payment
 * reply; status words → customer_tasks; a FAQ entry; files only → the file reply; else the fallback reply.
 * It is also what the openai provider falls back to, so a customer is never left without an answer.
 */
import { Faq } from './faq.js';
import type { Provider, TurnInput } from './provider.js';
import type { OrderFields } from './tools.js';
import { matchWindow } from '../../tasks/index.js';

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

  async respond({ text, onlyFiles, tools, conv }: TurnInput): Promise<string | null> {
    const d = this.faq.data;
    const handoffWord = Faq.said(text, d.handoff_words);
    if (handoffWord) {
      await tools.run('transfer_to_human', { reason: `客户说「${handoffWord}」` });
      return tools.confirmation;
    }
    if (Faq.said(text, d.order_words)) {
      const fields = parseOrder(text, this.faq);
      if (!fields) return d.order_missing;
      await tools.run('dispatch_order', { ...fields, ...(conv.from_name ? { customer: conv.from_name } : {}) });
      return tools.confirmation;
    }
    if (Faq.said(text, d.payment_words)) return d.payment_reply;
    if (Faq.said(text, d.status_words)) {
      const r = (await tools.run('customer_tasks', {})) as {
        tasks: { task_id: string; status: string }[];
        orders: { order_id: string; product?: string }[];
      };
      const lines = [
        ...r.orders.slice(0, 3).map((o) => `订单 ${o.order_id}（${o.product ?? ''}）已派单，设计师处理中`),
        ...r.tasks.slice(0, 3).map((t) => `任务 ${t.task_id}：${STATUS_WORDS[t.status] ?? t.status}`),
      ];
      return lines.length ? `为您查到：\n${lines.join('\n')}` : d.status_reply_none;
    }
    const answers = this.faq.lookup(text);
    if (answers.length) {
      tools.calls.push({ name: 'faq_lookup', args: { question: text }, result: { ids: answers.map((a) => a.id) } });
      return answers.map((a) => a.answer).join('\n');
    }
    if (onlyFiles) return d.file_reply;
    return d.fallback;
  }
}

// Each number is tried from the start of its digit run only ((?<!\d)): unanchored, `\d+` would be retried from every
// digit of a long run and take quadratic time on a hostile message.
const QUANTITY = /(?:数量\s*[:：]?\s*(\d+))|(?<!\d)(\d+)\s*(?:张|个|份|本|件|套|只|条|块|盒|册|幅|pcs)/i;
const SIZE = /((?<![\d.])\d+(?:\.\d+)?\s*[x×*]\s*\d+(?:\.\d+)?\s*(?:mm|cm|m|毫米|厘米|米)?|(?<![a-z])a[0-6](?![0-9a-z]))/i;
const DEADLINE =
  /((?:今天|明天|后天|大后天|本周[一二三四五六日天]?|下周[一二三四五六日天]?|周[一二三四五六日天]|星期[一二三四五六日天]|\d{1,2}月\d{1,2}[日号]|\d{1,2}[日号]|(?<!\d)\d+天)(?:之前|以前|前|内)?)/;

/** Product and quantity (both required), size, material, deadline from a customer's order message; null without both. */
export function parseOrder(text: string, faq: Faq): OrderFields | null {
  const t = matchWindow(text).normalize('NFKC');
  const product = [...faq.data.products].sort((a, b) => b.length - a.length).find((p) => t.toLowerCase().includes(p.toLowerCase()));
  const q = QUANTITY.exec(t);
  const quantity = q ? Number(q[1] ?? q[2]) : NaN;
  if (!product || !Number.isInteger(quantity) || quantity <= 0) return null;
  const fields: OrderFields = { product, quantity };
  const size = SIZE.exec(t);
  if (size) fields.size = size[1]!.replace(/\s+/g, '').replace(/^a/, 'A');
  const material = [...faq.data.materials].sort((a, b) => b.length - a.length).find((m) => t.toLowerCase().includes(m.toLowerCase()));
  if (material) {
    const gram = new RegExp(`((?<!\\d)\\d+\\s*g)\\s*${material.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'i').exec(t);
    fields.material = gram ? `${gram[1]!.replace(/\s+/g, '')}${material}` : material;
  }
  const deadline = DEADLINE.exec(t);
  if (deadline) fields.deadline = deadline[1]!;
  return fields;
}
