/**
 * One turn of a conversation: the configured provider answers, with the turn's tools; when it fails (an error, a
 * timeout, an invalid tool call) the rules answer instead, and after `maxFailures` failures in a row the
 * conversation goes to a human (转接人工). A customer is never left in silence.
 */
import type { ChatMessage, Store } from '../../store/index.js';
import { errorText, type Logger } from '../ports.js';
import type { BusinessHours } from './business-hours.js';
import type { Faq } from './faq.js';
import { withOffHoursNotice } from './off-hours.js';
import type { TurnResult } from './turn-result.js';
import type { Provider } from './provider.js';
import type { RulesProvider } from './rules-provider.js';
import { AgentTools, type Conversation } from './tools.js';

export interface TurnRequest {
  conv: Conversation;
  text: string;
  onlyFiles: boolean;
  history: ChatMessage[];
  /** LLM failures in a row, as read before the turn: 0 spares the write that would reset them. */
  failures?: number;
}

export type { TurnResult } from './turn-result.js';

export interface ResponderOptions {
  store: Store;
  faq: Faq;
  logger: Logger;
  clock: () => number;
  provider: Provider;
  rules: RulesProvider;
  maxFailures: number;
  handoffMinutes: number;
  /** Business hours (null: always open): outside them the first reply carries the off-hours message. */
  hours?: BusinessHours | null;
}

export class Responder {
  constructor(private readonly o: ResponderOptions) {}

  get providerName(): string {
    return this.o.provider.name;
  }

  async respond(req: TurnRequest): Promise<TurnResult> {
    const result = await this.answer(req);
    const { hours, store, faq, clock } = this.o;
    return hours ? withOffHoursNotice(result, { hours, store, faq, conv: req.conv, now: clock() }) : result;
  }

  private async answer(req: TurnRequest): Promise<TurnResult> {
    const { store, logger } = this.o;
    const started = performance.now();
    const tools = this.tools(req.conv);
    const result = (reply: string | null, provider: string, fallback: string | null, t: AgentTools = tools): TurnResult => ({
      reply,
      provider,
      latency_ms: Math.round(performance.now() - started),
      tool_calls: t.calls,
      handoff: t.handedOff,
      orders: t.orders,
      fallback_reason: fallback,
    });
    const primary = this.o.provider;
    try {
      const reply = await primary.respond({ ...req, tools });
      if (primary !== this.o.rules && req.failures !== 0) await store.agent.resetFailures(req.conv.acc_id, req.conv.from_id);
      return result(reply, primary.name, null);
    } catch (error) {
      if (primary === this.o.rules) throw error;
      const reason = errorText(error);
      const failures = await store.agent.recordFailure(req.conv.acc_id, req.conv.from_id);
      logger.warn(
        { customer_id: req.conv.from_id, acc_id: req.conv.acc_id, provider: primary.name, error: reason, failures },
        `agent: ${primary.name} failed (${reason}); failure ${failures} of ${this.o.maxFailures} in a row`,
      );
      // What the tools already did stands (an order placed before the failure): confirm it.
      if (tools.confirmation) return result(tools.confirmation, `${primary.name} (tools) + rules`, reason);
      if (failures >= this.o.maxFailures) {
        const handoff = this.tools(req.conv);
        await handoff.run('transfer_to_human', { reason: `the LLM failed ${failures} times in a row (${reason.slice(0, 200)})` });
        return result(handoff.confirmation, `rules (fallback: ${primary.name} failed)`, reason, merge(tools, handoff));
      }
      const rulesTools = this.tools(req.conv);
      const reply = await this.o.rules.respond({ ...req, tools: rulesTools });
      return result(reply, `rules (fallback: ${primary.name} failed)`, reason, merge(tools, rulesTools));
    }
  }

  private tools(conv: Conversation): AgentTools {
    const { store, faq, logger, clock, handoffMinutes, hours } = this.o;
    return new AgentTools({ store, faq, logger, clock, handoffMinutes, hours }, conv);
  }
}

/** The failed provider's calls (with their errors) and then the fallback's, on the fallback's tools object. */
function merge(failed: AgentTools, fallback: AgentTools): AgentTools {
  fallback.calls.unshift(...failed.calls);
  return fallback;
}
