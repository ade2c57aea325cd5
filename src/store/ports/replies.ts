/**
 * The reply queue's port: the agent's answers not yet sent, written before the send and removed once the bridge
 * acked it. What an outage or a restart leaves here is sent by the next daemon, in the order it was written.
 */
import type { ChatToolCall } from './conversations.js';

export interface QueuedReplyInput {
  acc_id: string;
  from_id: string;
  text: string;
  /** The req_id without its `#attempt`. */
  req_base: string;
  /** This turn handed the customer to a human: its reply goes out even though the conversation is human now. */
  handoff: boolean;
  provider: string | null;
  latency_ms: number | null;
  tool_calls: ChatToolCall[] | null;
}

export interface QueuedReply extends QueuedReplyInput {
  id: number;
  attempt: number;
  sends: number;
  created_at: string;
}

export interface ReplyStore {
  /** Stores the parts of one reply, in order; refuses them all (null) when `cap` replies are queued already. */
  enqueue(parts: readonly QueuedReplyInput[], cap: number): Promise<number[] | null>;
  /** Queued replies, oldest first. */
  list(limit?: number): Promise<QueuedReply[]>;
  count(): Promise<number>;
  /** Records where a reply's sending stands (a new req_id after a definite failure, an in-doubt send). */
  progress(id: number, attempt: number, sends: number): Promise<void>;
  /** Sent (the chat log has it now) or given up: it leaves the queue. */
  remove(id: number): Promise<void>;
}
