/**
 * The agent's answers not yet sent: written before the send, deleted once the bridge acked it. What an outage or a
 * restart leaves here is sent by the next daemon, in the order it was written.
 */
import { REPLY_COLUMNS, replyValues, rowToReply, type ReplyRow } from './reply-rows.js';
import { iso } from './rows.js';
import { SqliteRepository } from './repository.js';
import type { QueuedReply, QueuedReplyInput, ReplyStore } from './ports/replies.js';

export class SqliteReplyQueue extends SqliteRepository implements ReplyStore {
  /** Stores the parts of one reply, in order; refuses them all (null) when `cap` replies are queued already. */
  enqueue(parts: readonly QueuedReplyInput[], cap: number): Promise<number[] | null> {
    const nowIso = iso(this.clock());
    return this.writeGrouped(() => {
      const { n } = this.statement('SELECT COUNT(*) AS n FROM agent_replies').get() as { n: number };
      if (n + parts.length > cap) return null;
      return parts.map(
        (p) =>
          this.statement(`INSERT INTO agent_replies (${REPLY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...replyValues(p, nowIso))
            .lastInsertRowid as number,
      );
    });
  }

  /** Queued replies, oldest first. */
  list(limit = 10_000): Promise<QueuedReply[]> {
    return this.read(() => (this.statement('SELECT * FROM agent_replies ORDER BY id LIMIT ?').all(limit) as ReplyRow[]).map(rowToReply));
  }

  count(): Promise<number> {
    return this.read(() => (this.statement('SELECT COUNT(*) AS n FROM agent_replies').get() as { n: number }).n);
  }

  /** Records where a reply's sending stands (a new req_id after a definite failure, an in-doubt send). */
  progress(id: number, attempt: number, sends: number): Promise<void> {
    return this.write(() => {
      this.statement('UPDATE agent_replies SET attempt = ?, sends = ? WHERE id = ?').run(attempt, sends, id);
    });
  }

  /** Sent (the chat log has it now) or given up: it leaves the queue. */
  remove(id: number): Promise<void> {
    return this.writeGrouped(() => {
      this.statement('DELETE FROM agent_replies WHERE id = ?').run(id);
    });
  }
}
