/**
 * The callback sink's port: what POST /api/task/callback received. The seed's default TIANWANG_CALLBACK_URL points
 * at the daemon itself, so a trial without a real Tianwang can see every callback that would have gone out.
 */

/** One POST received by the callback sink. */
export interface ReceivedCallback {
  id: number;
  received_at: string;
  event_id: string | null;
  task_id: string | null;
  status: string | null;
  /** The body as received (parsed JSON). */
  body: unknown;
  remote_address: string | null;
  /** The signature header, when the sender signed the body. */
  signature: string | null;
}

export interface CallbackReceipt {
  body: unknown;
  remoteAddress?: string | null;
  signature?: string | null;
}

/** The sink keeps the newest callbacks only: a flood cannot fill the disk for the retention period. */
export const MAX_STORED_CALLBACKS = 10_000;

export interface CallbackStore {
  /** Keeps one received callback (and forgets those beyond the newest MAX_STORED_CALLBACKS). */
  record(receipt: CallbackReceipt): Promise<ReceivedCallback>;
  /** Received callbacks, oldest first (one task's, when given). */
  list(query?: { taskId?: string; limit?: number }): Promise<ReceivedCallback[]>;
  /** Forgets up to `limit` callbacks received before `olderThanMs`; returns how many. */
  prune(olderThanMs: number, limit: number): Promise<number>;
}
