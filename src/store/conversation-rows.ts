/**
 * What the conversation stores (SQLite and PostgreSQL) share: the chat log's and orders' rows ↔ records, who answers
 * a conversation without a row or after its human time ran out, and the outbox items a handoff and an order queue.
 */
import { iso, safeParse } from './rows.js';
import {
  conversationKey,
  type ChatEntry,
  type ChatFile,
  type ChatMessage,
  type ChatToolCall,
  type ConversationState,
  type OrderRecord,
} from './ports/conversations.js';

export interface ChatRow extends Omit<ChatMessage, 'file' | 'tool_calls'> {
  file_json: string | null;
  tool_calls: string | null;
  at_ms: number;
}

export interface OrderRow extends Omit<OrderRecord, 'fields'> {
  fields: string;
}

/** A customer's file or image as the 派单 carries it. */
export type Attachment = ChatFile & { msg_type: string; msg_id: string | null; at: string };

const parsedOrNull = (text: string | null): unknown => (text ? safeParse(text) : null);

/** chat_messages' columns for a new entry, in the order of CHAT_COLUMNS. */
export const CHAT_COLUMNS = 'conv, acc_id, from_id, role, text, msg_id, msg_type, file_json, at, at_ms, provider, latency_ms, tool_calls';

export function chatValues(entry: ChatEntry, nowMs: number): unknown[] {
  return [
    conversationKey(entry.acc_id, entry.from_id),
    entry.acc_id,
    entry.from_id,
    entry.role,
    entry.text,
    entry.msg_id ?? null,
    entry.msg_type ?? 'text',
    entry.file ? JSON.stringify(entry.file) : null,
    iso(nowMs),
    nowMs,
    entry.provider ?? null,
    entry.latency_ms ?? null,
    entry.tool_calls?.length ? JSON.stringify(entry.tool_calls) : null,
  ];
}

export function rowToChat(row: ChatRow): ChatMessage {
  const { file_json, at_ms: _atMs, tool_calls, ...rest } = row;
  return {
    ...rest,
    file: parsedOrNull(file_json) as ChatFile | null,
    tool_calls: parsedOrNull(tool_calls) as ChatToolCall[] | null,
  };
}

export const rowToAttachment = (row: ChatRow): Attachment => ({
  ...(parsedOrNull(row.file_json) as ChatFile),
  msg_type: row.msg_type,
  msg_id: row.msg_id,
  at: row.at,
});

/** An order as stored, its fields parsed (columns only the store uses, like PostgreSQL's seq, are left out). */
export function rowToOrder(row: OrderRow): OrderRecord {
  return {
    order_id: row.order_id,
    conv: row.conv,
    acc_id: row.acc_id,
    from_id: row.from_id,
    fields: safeParse(row.fields) as Record<string, unknown>,
    created_at: row.created_at,
  };
}

/** Who answers the conversation now: the agent when no row says otherwise, or when a human state's time has passed. */
export function currentState(row: ConversationState | undefined, accId: string, fromId: string, nowMs: number): ConversationState {
  const conv = conversationKey(accId, fromId);
  if (!row) return { conv, acc_id: accId, from_id: fromId, state: 'ai', reason: null, until_ms: null, failures: 0, updated_at: null };
  if (row.state !== 'ai' && row.until_ms !== null && row.until_ms <= nowMs) return { ...row, state: 'ai' };
  return row;
}

/** Whether a conversation is with a human after 转接人工 now (a second handoff sends no second notice). */
export const withHumanNow = (row: { state: string; until_ms: number | null } | undefined, nowMs: number): boolean =>
  row?.state === 'human' && (row.until_ms === null || row.until_ms > nowMs);

/** The outbox item a handoff queues: its event id and body. */
export function handoffNotice(accId: string, fromId: string, reason: string, notice: Record<string, unknown>, nowMs: number) {
  const eventId = `handoff:${conversationKey(accId, fromId)}:${nowMs}`;
  const body = { event: 'handoff', event_id: eventId, acc_id: accId, customer_id: fromId, reason, at: iso(nowMs), ...notice };
  return { eventId, payload: JSON.stringify(body) };
}

/** The outbox item a new order queues (its event id is the order id). */
export const dispatchPayload = (orderId: string, payload: Record<string, unknown>, nowMs: number): string =>
  JSON.stringify({ event: 'dispatch', event_id: orderId, order_id: orderId, created_at: iso(nowMs), ...payload });
