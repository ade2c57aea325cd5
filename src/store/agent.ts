/**
 * The agent's memory: the chat log of every conversation (acc_id:from_id), who answers each conversation (the AI,
 * a human after 转接人工, or a human who typed on our account), and the orders it dispatched (派单). A handoff and
 * an order are written with their outbox item in one transaction, so Tianwang hears of each exactly as stored.
 */
import { iso } from './rows.js';
import { SqliteRepository } from './repository.js';
import {
  CHAT_COLUMNS,
  chatValues,
  currentState,
  dispatchPayload,
  handoffNotice,
  rowToAttachment,
  rowToChat,
  rowToOrder,
  withHumanNow,
  type Attachment,
  type ChatRow,
  type OrderRow,
} from './conversation-rows.js';
import {
  conversationKey,
  type ChatEntry,
  type ChatMessage,
  type ConversationState,
  type ConversationStore,
  type OrderRecord,
} from './ports/conversations.js';

export class SqliteAgentStore extends SqliteRepository implements ConversationStore {
  /** Appends one message to its conversation's log; returns its id. */
  logMessage(entry: ChatEntry): Promise<number> {
    const nowMs = this.clock();
    return this.writeGrouped(
      () =>
        this.statement(`INSERT INTO chat_messages (${CHAT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
          ...chatValues(entry, nowMs),
        ).lastInsertRowid as number,
    );
  }

  /** The last `limit` messages of a conversation before message id `beforeId` (all when omitted), oldest first. */
  history(accId: string, fromId: string, limit: number, beforeId = Number.MAX_SAFE_INTEGER): Promise<ChatMessage[]> {
    return this.read(() =>
      (
        this.statement('SELECT * FROM chat_messages WHERE conv = ? AND id < ? ORDER BY id DESC LIMIT ?').all(
          conversationKey(accId, fromId),
          beforeId,
          limit,
        ) as ChatRow[]
      )
        .reverse()
        .map(rowToChat),
    );
  }

  /** A customer's messages on every account (or one), the last `limit`, oldest first. */
  log(fromId: string, options: { accId?: string; limit?: number } = {}): Promise<ChatMessage[]> {
    const limit = options.limit ?? 50;
    return this.read(() => {
      const rows = (
        options.accId === undefined
          ? this.statement('SELECT * FROM chat_messages WHERE from_id = ? ORDER BY id DESC LIMIT ?').all(fromId, limit)
          : this.statement('SELECT * FROM chat_messages WHERE conv = ? ORDER BY id DESC LIMIT ?').all(
              conversationKey(options.accId, fromId),
              limit,
            )
      ) as ChatRow[];
      return rows.reverse().map(rowToChat);
    });
  }

  /** Every message since `sinceMs`, oldest first (the replay groups them by conversation). */
  since(sinceMs: number, limit = 100_000): Promise<ChatMessage[]> {
    return this.read(() =>
      (this.statement('SELECT * FROM chat_messages WHERE at_ms >= ? ORDER BY id LIMIT ?').all(sinceMs, limit) as ChatRow[]).map(rowToChat),
    );
  }

  /** Files and images the customer sent in this conversation, oldest first (they ride on a 派单). */
  attachments(accId: string, fromId: string, limit = 20): Promise<Attachment[]> {
    return this.read(() =>
      (
        this.statement(
          `SELECT * FROM chat_messages WHERE conv = ? AND role = 'customer' AND file_json IS NOT NULL ORDER BY id DESC LIMIT ?`,
        ).all(conversationKey(accId, fromId), limit) as ChatRow[]
      )
        .reverse()
        .map(rowToAttachment),
    );
  }

  /** Who answers this conversation now; a human state whose time has passed reads as 'ai'. */
  state(accId: string, fromId: string): Promise<ConversationState> {
    const nowMs = this.clock();
    return this.read(() => {
      const row = this.statement('SELECT * FROM conversations WHERE conv = ?').get(conversationKey(accId, fromId)) as
        ConversationState | undefined;
      return currentState(row, accId, fromId, nowMs);
    });
  }

  /** A human typed on our account: the agent keeps quiet for this customer until `untilMs` (a handoff stays). */
  takeover(accId: string, fromId: string, untilMs: number): Promise<void> {
    const nowMs = this.clock();
    return this.write(() => {
      this.statement(
        `INSERT INTO conversations (conv, acc_id, from_id, state, reason, until_ms, updated_at) VALUES (?, ?, ?, 'takeover', 'human replied on our account', ?, ?)
         ON CONFLICT (conv) DO UPDATE SET
           state = CASE WHEN conversations.state = 'human' AND (conversations.until_ms IS NULL OR conversations.until_ms > ?) THEN 'human' ELSE 'takeover' END,
           reason = CASE WHEN conversations.state = 'human' AND (conversations.until_ms IS NULL OR conversations.until_ms > ?) THEN conversations.reason ELSE excluded.reason END,
           until_ms = MAX(COALESCE(conversations.until_ms, 0), excluded.until_ms),
           updated_at = excluded.updated_at`,
      ).run(conversationKey(accId, fromId), accId, fromId, untilMs, iso(nowMs), nowMs, nowMs);
    });
  }

  /**
   * 转接人工: the conversation goes to a human until released (or `untilMs`), and the notice is queued for
   * Tianwang / the operators in the same transaction. False when it was already with a human (no second notice).
   */
  /** `notifyAtMs`: when the notice is first due (the next opening when the shop is closed); default now. */
  handoff(
    accId: string,
    fromId: string,
    reason: string,
    untilMs: number | null,
    notice: Record<string, unknown>,
    notifyAtMs?: number,
  ): Promise<boolean> {
    const conv = conversationKey(accId, fromId);
    const nowMs = this.clock();
    const dueMs = Math.max(nowMs, notifyAtMs ?? nowMs);
    return this.write(() => {
      const row = this.statement('SELECT state, until_ms FROM conversations WHERE conv = ?').get(conv) as
        { state: string; until_ms: number | null } | undefined;
      if (withHumanNow(row, nowMs)) return false;
      this.statement(
        `INSERT INTO conversations (conv, acc_id, from_id, state, reason, until_ms, failures, updated_at) VALUES (?, ?, ?, 'human', ?, ?, 0, ?)
         ON CONFLICT (conv) DO UPDATE SET state = 'human', reason = excluded.reason, until_ms = excluded.until_ms, failures = 0, updated_at = excluded.updated_at`,
      ).run(conv, accId, fromId, reason, untilMs, iso(nowMs));
      const { eventId, payload } = handoffNotice(accId, fromId, reason, notice, nowMs);
      this.statement(
        `INSERT INTO outbox (event_id, kind, task_id, payload, created_at, next_attempt_at) VALUES (?, 'handoff', NULL, ?, ?, ?)
         ON CONFLICT (event_id) DO NOTHING`,
      ).run(eventId, payload, iso(nowMs), dueMs);
      return true;
    });
  }

  /** Gives a customer's conversations (on every account, or one) back to the agent; returns how many were not 'ai'. */
  release(fromId: string, accId?: string): Promise<number> {
    const nowIso = iso(this.clock());
    return this.write(() =>
      accId === undefined
        ? this.statement(
            `UPDATE conversations SET state = 'ai', reason = NULL, until_ms = NULL, failures = 0, updated_at = ? WHERE from_id = ? AND state != 'ai'`,
          ).run(nowIso, fromId).changes
        : this.statement(
            `UPDATE conversations SET state = 'ai', reason = NULL, until_ms = NULL, failures = 0, updated_at = ? WHERE conv = ? AND state != 'ai'`,
          ).run(nowIso, conversationKey(accId, fromId)).changes,
    );
  }

  /** Conversations not answered by the agent now (handed over or taken over and not yet expired). */
  withHumans(): Promise<ConversationState[]> {
    const nowMs = this.clock();
    return this.read(
      () =>
        this.statement(`SELECT * FROM conversations WHERE state != 'ai' AND (until_ms IS NULL OR until_ms > ?) ORDER BY updated_at`).all(
          nowMs,
        ) as ConversationState[],
    );
  }

  /** One more LLM failure in a row for this conversation; returns the count. */
  recordFailure(accId: string, fromId: string): Promise<number> {
    const nowIso = iso(this.clock());
    return this.write(
      () =>
        (
          this.statement(
            `INSERT INTO conversations (conv, acc_id, from_id, state, failures, updated_at) VALUES (?, ?, ?, 'ai', 1, ?)
             ON CONFLICT (conv) DO UPDATE SET failures = conversations.failures + 1, updated_at = excluded.updated_at RETURNING failures`,
          ).get(conversationKey(accId, fromId), accId, fromId, nowIso) as { failures: number }
        ).failures,
    );
  }

  resetFailures(accId: string, fromId: string): Promise<void> {
    return this.write(() => {
      this.statement('UPDATE conversations SET failures = 0 WHERE conv = ? AND failures != 0').run(conversationKey(accId, fromId));
    });
  }

  /**
   * 派单: stores the order and queues it for Tianwang (outbox kind `dispatch`) in one transaction. `created` is
   * false when an order with this id exists (a repeat): nothing is queued again.
   */
  dispatchOrder(
    order: { order_id: string; acc_id: string; from_id: string; fields: Record<string, unknown> },
    payload: Record<string, unknown>,
  ): Promise<{ created: boolean; order: OrderRecord }> {
    const nowMs = this.clock();
    const conv = conversationKey(order.acc_id, order.from_id);
    return this.write(() => {
      const created =
        this.statement(
          'INSERT INTO agent_orders (order_id, conv, acc_id, from_id, fields, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        ).run(order.order_id, conv, order.acc_id, order.from_id, JSON.stringify(order.fields), iso(nowMs)).changes === 1;
      if (created) {
        this.statement(
          `INSERT INTO outbox (event_id, kind, task_id, payload, created_at, next_attempt_at) VALUES (?, 'dispatch', NULL, ?, ?, ?)
           ON CONFLICT (event_id) DO NOTHING`,
        ).run(order.order_id, dispatchPayload(order.order_id, payload, nowMs), iso(nowMs), nowMs);
      }
      const row = this.statement('SELECT * FROM agent_orders WHERE order_id = ?').get(order.order_id) as OrderRow;
      return { created, order: rowToOrder(row) };
    });
  }

  /** A customer's orders, newest first. */
  orders(fromId: string, limit = 20): Promise<OrderRecord[]> {
    return this.read(() =>
      (
        this.statement('SELECT * FROM agent_orders WHERE from_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(
          fromId,
          limit,
        ) as OrderRow[]
      ).map(rowToOrder),
    );
  }

  /** Forgets up to `limit` chat messages older than `olderThanMs`; returns how many. */
  prune(olderThanMs: number, limit: number): Promise<number> {
    return this.write(
      () =>
        this.statement(
          'DELETE FROM chat_messages WHERE rowid IN (SELECT rowid FROM chat_messages WHERE at_ms < ? ORDER BY at_ms LIMIT ?)',
        ).run(olderThanMs, limit).changes,
    );
  }
}
