/** What the reply queues (SQLite and PostgreSQL) share: a queued part's columns, and a row back to a QueuedReply. */
import type { ChatToolCall } from './ports/conversations.js';
import type { QueuedReply, QueuedReplyInput } from './ports/replies.js';

export interface ReplyRow extends Omit<QueuedReply, 'handoff' | 'tool_calls'> {
  handoff: number;
  tool_calls: string | null;
}

export const REPLY_COLUMNS = 'acc_id, from_id, text, req_base, handoff, provider, latency_ms, tool_calls, created_at';

export const replyValues = (p: QueuedReplyInput, nowIso: string): unknown[] => [
  p.acc_id,
  p.from_id,
  p.text,
  p.req_base,
  p.handoff ? 1 : 0,
  p.provider,
  p.latency_ms,
  p.tool_calls?.length ? JSON.stringify(p.tool_calls) : null,
  nowIso,
];

export const rowToReply = (r: ReplyRow): QueuedReply => ({
  ...r,
  handoff: r.handoff === 1,
  tool_calls: r.tool_calls ? (JSON.parse(r.tool_calls) as ChatToolCall[]) : null,
});
