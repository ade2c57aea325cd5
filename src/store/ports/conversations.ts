/**
 * The conversations port (the agent's memory): the chat log of every conversation (acc_id:from_id), who answers it
 * (the AI, a human after 转接人工, or a human who typed on our account), and the orders dispatched (派单). A handoff
 * and an order are stored with their outbox item in one transaction, so Tianwang hears of each exactly as stored.
 */
export type ChatRole = 'customer' | 'agent' | 'human' | 'system';

export interface ChatFile {
  name?: string;
  url?: string;
  path?: string;
  size?: number;
}

export interface ChatToolCall {
  name: string;
  args: unknown;
  result?: unknown;
  error?: string;
}

export interface ChatEntry {
  acc_id: string;
  from_id: string;
  role: ChatRole;
  text: string;
  msg_id?: string | null;
  msg_type?: string;
  file?: ChatFile | null;
  provider?: string | null;
  latency_ms?: number | null;
  tool_calls?: ChatToolCall[] | null;
}

export interface ChatMessage {
  id: number;
  conv: string;
  acc_id: string;
  from_id: string;
  role: ChatRole;
  text: string;
  msg_id: string | null;
  msg_type: string;
  file: ChatFile | null;
  at: string;
  provider: string | null;
  latency_ms: number | null;
  tool_calls: ChatToolCall[] | null;
}

export type ConversationStateName = 'ai' | 'human' | 'takeover';

export interface ConversationState {
  conv: string;
  acc_id: string;
  from_id: string;
  /** 'ai' also when a human state's until_ms has passed. */
  state: ConversationStateName;
  reason: string | null;
  until_ms: number | null;
  failures: number;
  updated_at: string | null;
}

export interface OrderRecord {
  order_id: string;
  conv: string;
  acc_id: string;
  from_id: string;
  fields: Record<string, unknown>;
  created_at: string;
}

export const conversationKey = (accId: string, fromId: string) => `${accId}:${fromId}`;

export interface ConversationStore {
  /** Appends one message to its conversation's log; returns its id. */
  logMessage(entry: ChatEntry): Promise<number>;
  /** The last `limit` messages of a conversation before message id `beforeId` (all when omitted), oldest first. */
  history(accId: string, fromId: string, limit: number, beforeId?: number): Promise<ChatMessage[]>;
  /** A customer's messages on every account (or one), the last `limit`, oldest first. */
  log(fromId: string, options?: { accId?: string; limit?: number }): Promise<ChatMessage[]>;
  /** Every message since `sinceMs`, oldest first. */
  since(sinceMs: number, limit?: number): Promise<ChatMessage[]>;
  /** Files and images the customer sent in this conversation, oldest first. */
  attachments(
    accId: string,
    fromId: string,
    limit?: number,
  ): Promise<(ChatFile & { msg_type: string; msg_id: string | null; at: string })[]>;
  /** Who answers this conversation now; a human state whose time has passed reads as 'ai'. */
  state(accId: string, fromId: string): Promise<ConversationState>;
  /** A human typed on our account: the agent keeps quiet for this customer until `untilMs` (a handoff stays). */
  takeover(accId: string, fromId: string, untilMs: number): Promise<void>;
  /**
   * 转接人工: the conversation goes to a human until released (or `untilMs`), and the notice is queued (outbox kind
   * `handoff`, first due at `notifyAtMs`, default now) in the same transaction. False when it was already with a human.
   */
  handoff(
    accId: string,
    fromId: string,
    reason: string,
    untilMs: number | null,
    notice: Record<string, unknown>,
    notifyAtMs?: number,
  ): Promise<boolean>;
  /** Gives a customer's conversations (on every account, or one) back to the agent; returns how many were not 'ai'. */
  release(fromId: string, accId?: string): Promise<number>;
  /** Conversations not answered by the agent now. */
  withHumans(): Promise<ConversationState[]>;
  /** One more LLM failure in a row for this conversation; returns the count. */
  recordFailure(accId: string, fromId: string): Promise<number>;
  resetFailures(accId: string, fromId: string): Promise<void>;
  /**
   * 派单: stores the order and queues it (outbox kind `dispatch`) in one transaction. `created` is false when an
   * order with this id exists (a repeat): nothing is queued again.
   */
  dispatchOrder(
    order: { order_id: string; acc_id: string; from_id: string; fields: Record<string, unknown> },
    payload: Record<string, unknown>,
  ): Promise<{ created: boolean; order: OrderRecord }>;
  /** A customer's orders, newest first. */
  orders(fromId: string, limit?: number): Promise<OrderRecord[]>;
  /** Forgets up to `limit` chat messages older than `olderThanMs`; returns how many. */
  prune(olderThanMs: number, limit: number): Promise<number>;
}
