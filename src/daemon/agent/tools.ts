/**
 * The agent's tools, the same for every provider (the rules call them too, so a 派单 or a 转接人工 has one code
 * path): faq_lookup, customer_tasks, propose_order (collects the order's fields and reads them back) and
 * transfer_to_human (转接人工). Arguments are validated with zod; an invalid call throws InvalidToolCall.
 *
 * No provider can dispatch: dispatch_order (派单 to Tianwang through the outbox, idempotent) runs only from
 * confirmOrder(), when the customer confirms the read-back of the turn before (order-draft.ts). So a 派单 never
 * comes from a single message, whatever a model decides.
 *
 * One AgentTools is built per turn and records the calls it ran, for the chat log, the eval and the replay.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ChatToolCall, OrderRecord, Store } from '../../store/index.js';
import { canonicalJson } from '../../tasks/index.js';
import { LOG_WORDS } from '../../log.js';
import type { Logger } from '../ports.js';
import type { BusinessHours } from './business-hours.js';
import type { Faq } from './faq.js';

export class InvalidToolCall extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidToolCall';
  }
}

export const orderFieldsSchema = z
  .object({
    product: z.string().trim().min(1).max(100).describe('产品，例如 名片、宣传单、易拉宝'),
    quantity: z.coerce.number().int().positive().max(10_000_000).describe('数量'),
    size: z.string().trim().max(100).optional().describe('尺寸，例如 90x54mm、A4'),
    material: z.string().trim().max(100).optional().describe('材质，例如 300g铜版纸'),
    deadline: z.string().trim().max(100).optional().describe('交期，例如 周五前、2026-03-01'),
    notes: z.string().trim().max(1000).optional().describe('其他要求'),
    customer: z.string().trim().max(100).optional().describe('客户称呼或公司'),
  })
  .strict();

export type OrderFields = z.infer<typeof orderFieldsSchema>;

/** What propose_order takes: any of the fields, merged over the draft the customer is building. */
export const draftFieldsSchema = orderFieldsSchema.partial();
export type DraftFields = z.infer<typeof draftFieldsSchema>;

const TOOL_SCHEMAS = {
  faq_lookup: z.object({ question: z.string().min(1).describe('客户的问题') }).strict(),
  customer_tasks: z.object({}).strict(),
  propose_order: draftFieldsSchema,
  transfer_to_human: z.object({ reason: z.string().trim().min(1).max(500).describe('转人工的原因') }).strict(),
} as const;

export type ToolName = keyof typeof TOOL_SCHEMAS;
export const TOOL_NAMES = Object.keys(TOOL_SCHEMAS) as ToolName[];

const DESCRIPTIONS: Record<ToolName, string> = {
  faq_lookup: '在本店 FAQ 中查找答案（价格、工期、发票、地址、尺寸、材质、加急等）。',
  customer_tasks: '查询当前客户的任务和订单及其状态。',
  propose_order:
    '记录客户要下的订单（产品、数量、尺寸、材质、交期、备注），与之前记下的合并，并向客户复述请其确认。客户回复「确认」后系统才会派单，你无需也无法自己派单。',
  transfer_to_human: '转接人工：客户要求人工、投诉或问题无法处理时调用；之后由人工客服接待。',
};

/** The tools as OpenAI function definitions (JSON Schema from the zod schemas). */
export function toolDefinitions(): {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}[] {
  return TOOL_NAMES.map((name) => {
    const { $schema: _drop, ...parameters } = z.toJSONSchema(TOOL_SCHEMAS[name], { io: 'input' }) as Record<string, unknown>;
    return { type: 'function' as const, function: { name, description: DESCRIPTIONS[name], parameters } };
  });
}

export interface Conversation {
  acc_id: string;
  from_id: string;
  from_name?: string | null;
}

export interface ToolContext {
  store: Store;
  faq: Faq;
  logger: Logger;
  clock: () => number;
  /** 0: a handoff lasts until released. */
  handoffMinutes: number;
  /** Business hours: outside them a handoff notice waits for the next opening (null: always open). */
  hours?: BusinessHours | null;
}

/** A read-back the customer has not answered yet, kept in the chat log with the turn that proposed it. */
export interface PendingDraft {
  fields: DraftFields;
  missing: string[];
}

/** A draft older than this is not confirmed by a late 好的. */
const DRAFT_TTL_MS = 24 * 3600_000;
const REQUIRED: (keyof OrderFields)[] = ['product', 'quantity'];
const FIELD_NAMES: Record<string, string> = { product: '产品', quantity: '数量' };

export class AgentTools {
  readonly calls: ChatToolCall[] = [];
  handedOff = false;
  readonly orders: OrderRecord[] = [];
  /** The text the customer should get for what the tools did (order confirmation, holding reply), if any. */
  confirmation: string | null = null;
  /** The tools' text must be the reply (a handoff, a read-back): a model's own words would misstate it. */
  final = false;

  constructor(
    private readonly ctx: ToolContext,
    readonly conv: Conversation,
  ) {}

  /** Runs a tool by name with raw (unvalidated) arguments; the result goes back to the LLM as JSON. */
  async run(name: string, args: unknown): Promise<unknown> {
    if (!(name in TOOL_SCHEMAS)) {
      this.calls.push({ name, args, error: 'unknown tool' });
      throw new InvalidToolCall(`unknown tool "${name}"`);
    }
    const parsed = TOOL_SCHEMAS[name as ToolName].safeParse(args ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const error = `${name}: ${issue.path.join('.') || 'arguments'}: ${issue.message}`;
      this.calls.push({ name, args, error });
      throw new InvalidToolCall(error);
    }
    const result = await this.exec(name as ToolName, parsed.data as never);
    this.calls.push({ name, args: parsed.data, result });
    return result;
  }

  private exec(name: ToolName, args: Record<string, unknown>): Promise<unknown> {
    switch (name) {
      case 'faq_lookup':
        return Promise.resolve(this.faqLookup(String(args.question)));
      case 'customer_tasks':
        return this.customerTasks();
      case 'propose_order':
        return this.proposeOrder(args as DraftFields);
      case 'transfer_to_human':
        return this.transferToHuman(String(args.reason));
    }
  }

  private faqLookup(question: string) {
    const found = this.ctx.faq.lookup(question);
    return { ids: found.map((a) => a.id), answers: found.map((a) => a.answer) };
  }

  private async customerTasks() {
    const page = await this.ctx.store.tasks.list({ customerId: this.conv.from_id, pageSize: 10 });
    const orders = await this.ctx.store.agent.orders(this.conv.from_id, 10);
    return {
      tasks: page.items.map((t) => ({
        task_id: t.task_id,
        status: t.status,
        type: t.type,
        created_at: t.created_at,
        completed_at: t.completed_at,
      })),
      orders: orders.map((o) => ({ order_id: o.order_id, created_at: o.created_at, ...o.fields })),
    };
  }

  /**
   * The read-back of the turn before, when the customer's last message is still answering it (no human or other
   * turn in between, not older than a day); null otherwise.
   */
  async pendingDraft(): Promise<PendingDraft | null> {
    const { store, clock } = this.ctx;
    const recent = await store.agent.history(this.conv.acc_id, this.conv.from_id, 12);
    // The last turn of ours: a human's message, or the first part of an agent reply (the one with latency).
    const last = [...recent].reverse().find((m) => m.role === 'human' || (m.role === 'agent' && m.latency_ms !== null));
    if (!last || last.role !== 'agent' || clock() - Date.parse(last.at) > DRAFT_TTL_MS) return null;
    const call = [...(last.tool_calls ?? [])].reverse().find((c) => c.name === 'propose_order' && !c.error);
    const result = call?.result as PendingDraft | undefined;
    return result?.fields ? { fields: result.fields, missing: result.missing ?? [] } : null;
  }

  private async proposeOrder(fields: DraftFields) {
    const pending = await this.pendingDraft();
    const merged = { ...(pending?.fields ?? {}) } as DraftFields;
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') (merged as Record<string, unknown>)[k] = v;
    if (!merged.customer && this.conv.from_name) merged.customer = this.conv.from_name;
    const missing = REQUIRED.filter((k) => merged[k] === undefined);
    const d = this.ctx.faq.data;
    if (missing.length) {
      this.confirmation = d.order_missing.replaceAll('{missing}', missing.map((k) => FIELD_NAMES[k]).join('和'));
    } else {
      const files = (await this.ctx.store.agent.attachments(this.conv.acc_id, this.conv.from_id)).length;
      const summary = [orderSummary(merged as OrderFields), files ? `文件 ${files} 个` : '文件：暂未收到'].join('，');
      this.confirmation = d.order_confirm.replaceAll('{summary}', summary);
    }
    this.final = true;
    return { fields: merged, missing, awaiting_confirmation: missing.length === 0 };
  }

  /** The customer confirmed the read-back: 派单 with its fields. Only order-draft.ts calls this. */
  async confirmOrder(draft: PendingDraft): Promise<void> {
    const parsed = orderFieldsSchema.safeParse(draft.fields);
    if (!parsed.success)
      throw new InvalidToolCall(`dispatch_order: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`);
    const result = await this.dispatchOrder(parsed.data);
    this.calls.push({ name: 'dispatch_order', args: parsed.data, result });
    this.final = true;
  }

  /** The customer dropped the read-back. */
  cancelOrder(draft: PendingDraft): void {
    this.calls.push({ name: 'cancel_order', args: draft.fields, result: { cancelled: true } });
    this.confirmation = this.ctx.faq.data.order_cancelled;
    this.final = true;
  }

  private async dispatchOrder(fields: OrderFields) {
    const { store, logger } = this.ctx;
    const { acc_id, from_id, from_name } = this.conv;
    const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== '')) as OrderFields;
    // The idempotency key: this conversation + this content. The same order said twice is dispatched once.
    const orderId = `ORD_${createHash('sha256')
      .update(`${acc_id}:${from_id}\n${canonicalJson(clean)}`)
      .digest('hex')
      .slice(0, 16)
      .toUpperCase()}`;
    const attachments = await store.agent.attachments(acc_id, from_id);
    const { created, order } = await store.agent.dispatchOrder(
      { order_id: orderId, acc_id, from_id, fields: clean },
      { acc_id, customer_id: from_id, customer_name: from_name ?? null, ...clean, attachments },
    );
    const summary = orderSummary(clean);
    if (created) {
      logger.info(
        { order_id: orderId, customer_id: from_id, acc_id, fields: clean, attachments: attachments.length },
        `${LOG_WORDS.dispatched} ${orderId}: ${from_name ?? from_id} ${summary}`,
      );
    } else {
      logger.info(
        { order_id: orderId, customer_id: from_id, acc_id },
        `${LOG_WORDS.dispatched} ${orderId}: already dispatched (a repeat), not sent again`,
      );
    }
    this.orders.push(order);
    this.confirmation = this.ctx.faq.data.order_reply.replaceAll('{order_id}', orderId).replaceAll('{summary}', summary);
    return { order_id: orderId, dispatched: true, repeat: !created, summary, attachments: attachments.length };
  }

  private async transferToHuman(reason: string) {
    const { store, logger, clock, handoffMinutes } = this.ctx;
    const { acc_id, from_id, from_name } = this.conv;
    const now = clock();
    const notifyAt = this.ctx.hours?.nextOpening(now) ?? now;
    // Closed: the silence lasts until the notice goes out plus the usual handoff time, so nobody is left unanswered.
    const until = handoffMinutes > 0 ? notifyAt + handoffMinutes * 60_000 : null;
    const recent = await store.agent.history(acc_id, from_id, 6);
    const fresh = await store.agent.handoff(
      acc_id,
      from_id,
      reason,
      until,
      { customer_name: from_name ?? null, recent: recent.map((m) => ({ role: m.role, text: m.text, at: m.at })) },
      notifyAt,
    );
    const queued = notifyAt > now ? ` (非营业时间，${new Date(notifyAt).toISOString()} 开门时通知)` : '';
    logger.info(
      {
        customer_id: from_id,
        acc_id,
        reason,
        until: until === null ? null : new Date(until).toISOString(),
        notified: fresh,
        notify_at: new Date(notifyAt).toISOString(),
      },
      `${LOG_WORDS.handoff} ${from_name ?? from_id}: ${reason}${queued}`,
    );
    this.handedOff = true;
    this.final = true;
    const d = this.ctx.faq.data;
    this.confirmation =
      notifyAt > now ? d.handoff_reply_off_hours.replaceAll('{opens}', this.ctx.hours!.format(notifyAt)) : d.handoff_reply;
    return { transferred: true, holding_reply: this.confirmation, notify_at: new Date(notifyAt).toISOString() };
  }
}

export function orderSummary(f: DraftFields): string {
  return [f.product, `数量 ${f.quantity}`, f.size, f.material, f.deadline && `交期 ${f.deadline}`, f.notes].filter(Boolean).join('，');
}
