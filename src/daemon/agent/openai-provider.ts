/**
 * The `openai` provider: any OpenAI-compatible chat-completions endpoint (a local model server, DeepSeek, Qwen,
 * OpenAI …) through the `openai` package with `baseURL`. The system prompt comes from a file, the memory window
 * from the chat log, and the model may call the agent's tools (a few rounds at most). Every request is bounded by
 * the timeout and never retried here: a failure throws, and the caller answers with the rules instead.
 * The model cannot dispatch: it proposes (propose_order), and the customer's yes to the read-back dispatches, in the
 * confirmation step that runs before the model is asked (order-draft.ts).
 */
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ChatMessage } from '../../store/index.js';
import type { Faq } from './faq.js';
import { confirmationStep } from './order-draft.js';
import type { Provider, TurnInput } from './provider.js';
import { InvalidToolCall, toolDefinitions } from './tools.js';
import { DEFAULT_LLM_CONNECTIONS } from '../../config.js';
import { llmHttp, type Gate } from './llm-http.js';

/** A chat completion is a few KiB; an endpoint answering more than this is broken or hostile (issue #17). */
export const LLM_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

export interface OpenAiProviderOptions {
  baseUrl: string;
  apiKey: string | null;
  model: string | null;
  timeoutMs: number;
  systemPrompt: string;
  /** For the confirmation step (a yes to the last read-back dispatches without asking the model). */
  faq: Faq;
  /** Tool rounds per turn before giving up (default 4). */
  maxRounds?: number;
  /** Requests under way at once and connections to the endpoint (AICS_LLM_CONNECTIONS); see llm-http.ts. */
  connections?: number;
}

export const DEFAULT_MODEL = 'gpt-4o-mini';

export class OpenAiProvider implements Provider {
  readonly name = 'openai';
  private readonly client: OpenAI;
  private readonly tools = toolDefinitions();
  private readonly gate: Gate;

  constructor(private readonly o: OpenAiProviderOptions) {
    const http = llmHttp(o.connections ?? DEFAULT_LLM_CONNECTIONS, LLM_BODY_LIMIT_BYTES);
    this.gate = http.gate;
    this.client = new OpenAI({
      baseURL: o.baseUrl,
      apiKey: o.apiKey ?? 'none',
      timeout: o.timeoutMs,
      maxRetries: 0,
      fetch: http.fetch,
    });
  }

  get model(): string {
    return this.o.model ?? DEFAULT_MODEL;
  }

  async respond(input: TurnInput): Promise<string | null> {
    const confirmed = await confirmationStep(input, this.o.faq);
    if (confirmed) return confirmed;
    const { conv, text, history, tools } = input;
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: `${this.o.systemPrompt}\n\n客户：${conv.from_name ?? ''}（${conv.from_id}）` },
      ...history.map(toMessage).filter((m): m is ChatCompletionMessageParam => m !== null),
      { role: 'user', content: text },
    ];
    const rounds = this.o.maxRounds ?? 4;
    for (let round = 0; round < rounds; round++) {
      // The timeout starts once a connection is free: it bounds the LLM, not our queue (llm-http.ts).
      const completion = await this.gate.run(() =>
        this.client.chat.completions.create(
          { model: this.model, messages, tools: this.tools, tool_choice: 'auto' },
          { timeout: this.o.timeoutMs, maxRetries: 0 },
        ),
      );
      const message = completion.choices?.[0]?.message;
      if (!message) throw new Error('the LLM answered no choices');
      const calls = message.tool_calls ?? [];
      if (calls.length === 0) {
        const content = (message.content ?? '').trim();
        // A turn whose tools already answered (an order, a handoff) may end without words.
        if (!content) {
          if (tools.confirmation) return tools.confirmation;
          throw new Error('the LLM answered an empty message');
        }
        return tools.final ? tools.confirmation : content;
      }
      messages.push({ role: 'assistant', content: message.content ?? null, tool_calls: calls });
      for (const call of calls) {
        if (call.type !== 'function') throw new InvalidToolCall(`tool call of type "${call.type}"`);
        let args: unknown;
        try {
          args = call.function.arguments ? JSON.parse(call.function.arguments) : {};
        } catch {
          tools.calls.push({ name: call.function.name, args: call.function.arguments, error: 'arguments are not JSON' });
          throw new InvalidToolCall(`${call.function.name}: arguments are not JSON`);
        }
        const result = await tools.run(call.function.name, args);
        messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
      }
      // After 转接人工 the holding reply is the answer, after propose_order the read-back: the customer answers
      // those exact words, so nothing the model adds goes out.
      if (tools.final) return tools.confirmation;
    }
    if (tools.confirmation) return tools.confirmation;
    throw new Error(`the LLM still called tools after ${rounds} rounds`);
  }
}

function toMessage(m: ChatMessage): ChatCompletionMessageParam | null {
  if (m.role === 'customer') return { role: 'user', content: m.file ? `${m.text}` : m.text };
  if (m.role === 'agent') return { role: 'assistant', content: m.text };
  if (m.role === 'human') return { role: 'assistant', content: `[人工客服] ${m.text}` };
  return null;
}
