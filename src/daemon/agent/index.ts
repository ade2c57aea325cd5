/**
 * Builds the AI agent from settings and ports: the daemon's composition root calls this in the bridge modes, and
 * the dialogue tools (`aics agent chat`, `aics agent test`) call it with a sender that writes to the terminal.
 *
 *   const agent = buildAgent({ settings, store, sender, logger });
 *   bridge.onMessage(async (m) => agent.accept(m, await engine.accept(m)));
 */
import type { Settings } from '../../config.js';
import type { Store } from '../../store/index.js';
import type { Logger, MessageSender } from '../ports.js';
import { BusinessHours } from './business-hours.js';
import { ConversationManager, type ConversationManagerOptions } from './conversations.js';
import { Faq, loadSensitiveWords, loadSystemPrompt } from './faq.js';
import { Gate } from './llm-http.js';
import { OpenAiProvider } from './openai-provider.js';
import { Pacer } from './pacer.js';
import type { Provider } from './provider.js';
import { ReplyQueue } from './reply-queue.js';
import { Responder } from './responder.js';
import { RulesProvider } from './rules-provider.js';

export { ConversationManager, type AgentInbound, type EngineOutcome, type TurnOutcome } from './conversations.js';
export { Faq, BUILTIN_FAQ_FILE } from './faq.js';
export { maskSensitive, splitReply } from './reply-text.js';
export { parseOrder, readOrderFields } from './order-fields.js';

export interface BuildAgentOptions {
  settings: Settings;
  store: Store;
  sender: MessageSender;
  logger: Logger;
  clock?: () => number;
  onTurn?: ConversationManagerOptions['onTurn'];
  /** A `serve --multi` worker: the customers whose stored answers it resumes (ReplyQueueOptions.ownsCustomer). */
  ownsCustomer?: (accId: string, fromId: string) => boolean;
}

export interface Agent {
  conversations: ConversationManager;
  provider: string;
  faq: Faq;
}

/** Reads the FAQ, word list and prompt files (a bad file throws a ValidationError naming it) and wires the parts. */
export function buildAgent(o: BuildAgentOptions): Agent {
  const { settings } = o;
  const a = settings.agent;
  const clock = o.clock ?? Date.now;
  const faq = Faq.load(settings.faqFile);
  const hours = BusinessHours.parse(a.hours, a.holidays, settings.timeZone);
  const rules = new RulesProvider(faq);
  let provider: Provider = rules;
  if (a.provider === 'openai') {
    provider = new OpenAiProvider({
      baseUrl: settings.llmBaseUrl!,
      apiKey: settings.llmApiKey,
      model: settings.llmModel,
      timeoutMs: a.llmTimeoutMs,
      connections: a.llmConnections,
      systemPrompt: loadSystemPrompt(a.systemPromptFile, faq.data.shop),
      faq,
    });
  } else {
    // The rules answer every customer: their index is built now, not during the first customer's turn.
    void faq.index;
  }
  const responder = new Responder({
    store: o.store,
    faq,
    logger: o.logger,
    clock,
    provider,
    rules,
    maxFailures: a.maxFailures,
    handoffMinutes: a.handoffMinutes,
    hours,
  });
  const conversations = new ConversationManager({
    store: o.store,
    responder,
    replies: new ReplyQueue({
      store: o.store,
      sender: o.sender,
      pacer: new Pacer(a.sendGapMs),
      logger: o.logger,
      cap: a.replyQueueMax,
      ownsCustomer: o.ownsCustomer,
    }),
    logger: o.logger,
    clock,
    config: a,
    sensitiveWords: loadSensitiveWords(a.sensitiveWordsFile),
    onTurn: o.onTurn,
    // The LLM takes AICS_LLM_CONNECTIONS requests at once: a turn holds nothing while it waits for one of them.
    thinking: a.provider === 'openai' ? new Gate(a.llmConnections) : undefined,
  });
  return { conversations, provider: provider.name, faq };
}
