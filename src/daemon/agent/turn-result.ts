/** What one turn of the agent produced; its own file so that the responder and the off-hours notice share it without importing each other. */
import type { ChatToolCall, OrderRecord } from '../../store/index.js';

export interface TurnResult {
  reply: string | null;
  /** Who wrote the reply: `rules`, `openai`, or `rules (fallback: …)`. */
  provider: string;
  latency_ms: number;
  tool_calls: ChatToolCall[];
  handoff: boolean;
  orders: OrderRecord[];
  /** Why the configured provider was not used, when it failed. */
  fallback_reason: string | null;
}
