/**
 * The `openai` provider: any OpenAI-compatible chat-completions endpoint (a local model server, DeepSeek, Qwen,
 * OpenAI …) at `baseURL`, spoken to directly (llm-http.ts): the request body's constant part (model, tool
 * definitions, the system prompt) is serialized and encoded once, as bytes; a turn adds only its own messages (see
 * body()), which is most of what the openai package cost. The system prompt comes from a file, the memory window
 * from the chat log, and the model may call the agent's tools (a few rounds at most). Every request is bounded by
 * the timeout and never retried here: a failure throws, and the caller answers with the rules instead.
 * The model cannot dispatch: it proposes (propose_order), and the customer's yes to the read-back dispatches, in the
 * confirmation step that runs before the model is asked (order-draft.ts).
 */
import type { ChatMessage } from '../../store/index.js';
import type { Faq } from './faq.js';
import { confirmationStep } from './order-draft.js';
import type { Provider, TurnInput } from './provider.js';
import { InvalidToolCall, toolDefinitions } from './tools.js';
import { DEFAULT_LLM_CONNECTIONS } from '../../config.js';
import { llmHttp, llmTarget, type Gate, type LlmHttp, type LlmTarget } from './llm-http.js';

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

interface ToolCall {
  id: string;
  type: string;
  function: { name: string; arguments?: string };
}

type ChatCompletionMessageParam =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

interface ChatCompletion {
  choices?: { message?: { content?: string | null; tool_calls?: ToolCall[] | null } }[];
}

export class OpenAiProvider implements Provider {
  readonly name = 'openai';
  private readonly http: LlmHttp;
  private readonly gate: Gate;
  private readonly target: LlmTarget;
  private readonly headers: Record<string, string>;
  /**
   * `{"model":…,"tools":[…],"tool_choice":"auto","messages":[{"role":"system","content":"<prompt>\n\n客户：` as UTF-8:
   * the same for every request, encoded once. Built per request, this was the largest allocation of a turn (a
   * two-byte string of the prompt and tools, then its UTF-8 copy), held while the LLM thinks.
   */
  private readonly bodyHead: Buffer;

  constructor(private readonly o: OpenAiProviderOptions) {
    this.http = llmHttp(o.connections ?? DEFAULT_LLM_CONNECTIONS, LLM_BODY_LIMIT_BYTES);
    this.gate = this.http.gate;
    this.target = llmTarget(`${o.baseUrl.replace(/\/+$/, '')}/chat/completions`);
    this.headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (o.apiKey) this.headers.authorization = `Bearer ${o.apiKey}`;
    const head = JSON.stringify({ model: this.model, tools: toolDefinitions(), tool_choice: 'auto' });
    // JSON escapes character by character, so the prompt's escaped text (without its closing quote) can be followed
    // by the customer's escaped name: together they are the escaped system message.
    const system = JSON.stringify(`${o.systemPrompt}\n\n客户：`).slice(0, -1);
    this.bodyHead = Buffer.from(`${head.slice(0, -1)},"messages":[{"role":"system","content":${system}`);
  }

  get model(): string {
    return this.o.model ?? DEFAULT_MODEL;
  }

  async respond(input: TurnInput): Promise<string | null> {
    const confirmed = await confirmationStep(input, this.o.faq);
    if (confirmed) return confirmed;
    const { conv, text, history, tools } = input;
    // After the system message (in bodyHead): the memory window, the customer's words, then each tool round's.
    const messages: ChatCompletionMessageParam[] = [];
    for (const m of history) {
      const message = toMessage(m);
      if (message) messages.push(message);
    }
    messages.push({ role: 'user', content: text });
    const rounds = this.o.maxRounds ?? 4;
    for (let round = 0; round < rounds; round++) {
      // The timeout starts once a connection is free: it bounds the LLM, not our queue (llm-http.ts).
      const completion = (await this.gate.run(() =>
        this.http.postJson(this.target, this.body(conv, messages), this.headers, this.o.timeoutMs),
      )) as ChatCompletion | null;
      const message = completion?.choices?.[0]?.message;
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

  /**
   * The request body: bodyHead, then the customer's name and id closing the system message, then `messages`. Built
   * once a connection is free (inside the gate), bytes only: no string of the whole body is kept while the LLM
   * answers.
   */
  private body(conv: TurnInput['conv'], messages: ChatCompletionMessageParam[]): Buffer {
    const customer = JSON.stringify(`${conv.from_name ?? ''}（${conv.from_id}）`).slice(1);
    const tail = `${customer}},${JSON.stringify(messages).slice(1)}}`;
    return Buffer.concat([this.bodyHead, Buffer.from(tail)]);
  }
}

function toMessage(m: ChatMessage): ChatCompletionMessageParam | null {
  if (m.role === 'customer') return { role: 'user', content: m.file ? `${m.text}` : m.text };
  if (m.role === 'agent') return { role: 'assistant', content: m.text };
  if (m.role === 'human') return { role: 'assistant', content: `[人工客服] ${m.text}` };
  return null;
}
