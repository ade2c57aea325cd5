/**
 * The agent's memory on PostgreSQL: the chat log, who answers each conversation, and the orders it dispatched (派单).
 * A handoff and an order are written with their outbox item in one transaction; a handoff is one guarded upsert, so
 * two daemons handing one conversation over at once send one notice.
 */
import {
  CHAT_COLUMNS,
  chatValues,
  currentState,
  dispatchPayload,
  handoffNotice,
  rowToAttachment,
  rowToChat,
  rowToOrder,
  type Attachment,
  type ChatRow,
  type OrderRow,
} from '../conversation-rows.js';
import {
  conversationKey,
  type ChatEntry,
  type ChatMessage,
  type ConversationState,
  type ConversationStore,
  type OrderRecord,
} from '../ports/conversations.js';
import { iso } from '../rows.js';
import { PgRepository, rowsOf } from './repository.js';

type Chat = ChatRow & Record<string, unknown>;
type Order = OrderRow & Record<string, unknown>;
type State = ConversationState & Record<string, unknown>;

const OUTBOX_INSERT = `INSERT INTO outbox (event_id, kind, task_id, payload, created_at, next_attempt_at) VALUES ($1, $2, NULL, $3, $4, $5)
  ON CONFLICT (event_id) DO NOTHING`;

export class PgConversations extends PgRepository implements ConversationStore {
  async logMessage(entry: ChatEntry): Promise<number> {
    const [row] = await this.query<{ id: number }>(
      `INSERT INTO chat_messages (${CHAT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
      chatValues(entry, this.clock()),
    );
    return row!.id;
  }

  async history(accId: string, fromId: string, limit: number, beforeId = Number.MAX_SAFE_INTEGER): Promise<ChatMessage[]> {
    const rows = await this.query<Chat>('SELECT * FROM chat_messages WHERE conv = $1 AND id < $2 ORDER BY id DESC LIMIT $3', [
      conversationKey(accId, fromId),
      beforeId,
      limit,
    ]);
    return rows.reverse().map(rowToChat);
  }

  async log(fromId: string, options: { accId?: string; limit?: number } = {}): Promise<ChatMessage[]> {
    const limit = options.limit ?? 50;
    const rows =
      options.accId === undefined
        ? await this.query<Chat>('SELECT * FROM chat_messages WHERE from_id = $1 ORDER BY id DESC LIMIT $2', [fromId, limit])
        : await this.query<Chat>('SELECT * FROM chat_messages WHERE conv = $1 ORDER BY id DESC LIMIT $2', [
            conversationKey(options.accId, fromId),
            limit,
          ]);
    return rows.reverse().map(rowToChat);
  }

  async since(sinceMs: number, limit = 100_000): Promise<ChatMessage[]> {
    return (await this.query<Chat>('SELECT * FROM chat_messages WHERE at_ms >= $1 ORDER BY id LIMIT $2', [sinceMs, limit])).map(rowToChat);
  }

  async attachments(accId: string, fromId: string, limit = 20): Promise<Attachment[]> {
    const rows = await this.query<Chat>(
      `SELECT * FROM chat_messages WHERE conv = $1 AND role = 'customer' AND file_json IS NOT NULL ORDER BY id DESC LIMIT $2`,
      [conversationKey(accId, fromId), limit],
    );
    return rows.reverse().map(rowToAttachment);
  }

  async state(accId: string, fromId: string): Promise<ConversationState> {
    const nowMs = this.clock();
    const row = await this.one<State>('SELECT * FROM conversations WHERE conv = $1', [conversationKey(accId, fromId)]);
    return currentState(row, accId, fromId, nowMs);
  }

  async takeover(accId: string, fromId: string, untilMs: number): Promise<void> {
    const nowMs = this.clock();
    await this.query(
      `INSERT INTO conversations (conv, acc_id, from_id, state, reason, until_ms, updated_at)
         VALUES ($1, $2, $3, 'takeover', 'human replied on our account', $4, $5)
       ON CONFLICT (conv) DO UPDATE SET
         state = CASE WHEN conversations.state = 'human' AND (conversations.until_ms IS NULL OR conversations.until_ms > $6) THEN 'human' ELSE 'takeover' END,
         reason = CASE WHEN conversations.state = 'human' AND (conversations.until_ms IS NULL OR conversations.until_ms > $6) THEN conversations.reason ELSE excluded.reason END,
         until_ms = GREATEST(COALESCE(conversations.until_ms, 0), excluded.until_ms),
         updated_at = excluded.updated_at`,
      [conversationKey(accId, fromId), accId, fromId, untilMs, iso(nowMs), nowMs],
    );
  }

  handoff(
    accId: string,
    fromId: string,
    reason: string,
    untilMs: number | null,
    notice: Record<string, unknown>,
    notifyAtMs?: number,
  ): Promise<boolean> {
    const nowMs = this.clock();
    const dueMs = Math.max(nowMs, notifyAtMs ?? nowMs);
    return this.write(async (client) => {
      // The upsert's WHERE is checked on the row as it stands once locked: of two handoffs at once, one changes it.
      const changed = await rowsOf(
        client,
        `INSERT INTO conversations (conv, acc_id, from_id, state, reason, until_ms, failures, updated_at) VALUES ($1, $2, $3, 'human', $4, $5, 0, $6)
         ON CONFLICT (conv) DO UPDATE SET state = 'human', reason = excluded.reason, until_ms = excluded.until_ms, failures = 0, updated_at = excluded.updated_at
           WHERE NOT (conversations.state = 'human' AND (conversations.until_ms IS NULL OR conversations.until_ms > $7))
         RETURNING conv`,
        [conversationKey(accId, fromId), accId, fromId, reason, untilMs, iso(nowMs), nowMs],
      );
      if (changed.length === 0) return false;
      const { eventId, payload } = handoffNotice(accId, fromId, reason, notice, nowMs);
      await client.query(OUTBOX_INSERT, [eventId, 'handoff', payload, iso(nowMs), dueMs]);
      return true;
    });
  }

  async release(fromId: string, accId?: string): Promise<number> {
    const nowIso = iso(this.clock());
    const set = `UPDATE conversations SET state = 'ai', reason = NULL, until_ms = NULL, failures = 0, updated_at = $1`;
    const rows =
      accId === undefined
        ? await this.query(`${set} WHERE from_id = $2 AND state != 'ai' RETURNING conv`, [nowIso, fromId])
        : await this.query(`${set} WHERE conv = $2 AND state != 'ai' RETURNING conv`, [nowIso, conversationKey(accId, fromId)]);
    return rows.length;
  }

  withHumans(): Promise<ConversationState[]> {
    return this.query<State>(
      `SELECT * FROM conversations WHERE state != 'ai' AND (until_ms IS NULL OR until_ms > $1) ORDER BY updated_at, conv`,
      [this.clock()],
    );
  }

  async recordFailure(accId: string, fromId: string): Promise<number> {
    const [row] = await this.query<{ failures: number }>(
      `INSERT INTO conversations (conv, acc_id, from_id, state, failures, updated_at) VALUES ($1, $2, $3, 'ai', 1, $4)
       ON CONFLICT (conv) DO UPDATE SET failures = conversations.failures + 1, updated_at = excluded.updated_at RETURNING failures`,
      [conversationKey(accId, fromId), accId, fromId, iso(this.clock())],
    );
    return row!.failures;
  }

  async resetFailures(accId: string, fromId: string): Promise<void> {
    await this.query('UPDATE conversations SET failures = 0 WHERE conv = $1 AND failures != 0', [conversationKey(accId, fromId)]);
  }

  dispatchOrder(
    order: { order_id: string; acc_id: string; from_id: string; fields: Record<string, unknown> },
    payload: Record<string, unknown>,
  ): Promise<{ created: boolean; order: OrderRecord }> {
    const nowMs = this.clock();
    const conv = conversationKey(order.acc_id, order.from_id);
    return this.write(async (client) => {
      const added = await rowsOf(
        client,
        `INSERT INTO agent_orders (order_id, conv, acc_id, from_id, fields, created_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT DO NOTHING RETURNING order_id`,
        [order.order_id, conv, order.acc_id, order.from_id, JSON.stringify(order.fields), iso(nowMs)],
      );
      const created = added.length === 1;
      if (created) {
        await client.query(OUTBOX_INSERT, [order.order_id, 'dispatch', dispatchPayload(order.order_id, payload, nowMs), iso(nowMs), nowMs]);
      }
      const [row] = await rowsOf<Order>(client, 'SELECT * FROM agent_orders WHERE order_id = $1', [order.order_id]);
      return { created, order: rowToOrder(row!) };
    });
  }

  async orders(fromId: string, limit = 20): Promise<OrderRecord[]> {
    return (
      await this.query<Order>('SELECT * FROM agent_orders WHERE from_id = $1 ORDER BY created_at DESC, seq DESC LIMIT $2', [fromId, limit])
    ).map(rowToOrder);
  }

  async prune(olderThanMs: number, limit: number): Promise<number> {
    const gone = await this.query(
      'DELETE FROM chat_messages WHERE id IN (SELECT id FROM chat_messages WHERE at_ms < $1 ORDER BY at_ms LIMIT $2) RETURNING id',
      [olderThanMs, limit],
    );
    return gone.length;
  }
}
