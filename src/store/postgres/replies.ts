/**
 * The agent's answers not yet sent, on PostgreSQL: written before the send, deleted once the bridge acked it. The
 * cap is checked under a lock on the table, so two daemons queueing at once cannot both pass it.
 */
import type { QueuedReply, QueuedReplyInput, ReplyStore } from '../ports/replies.js';
import { REPLY_COLUMNS, replyValues, rowToReply, type ReplyRow } from '../reply-rows.js';
import { iso } from '../rows.js';
import { PgRepository, rowsOf } from './repository.js';

export class PgReplyQueue extends PgRepository implements ReplyStore {
  enqueue(parts: readonly QueuedReplyInput[], cap: number): Promise<number[] | null> {
    const nowIso = iso(this.clock());
    return this.write(async (client) => {
      // Writers queue behind each other (readers do not wait): the count and the inserts see the same table.
      await client.query('LOCK TABLE agent_replies IN SHARE ROW EXCLUSIVE MODE');
      const [{ n }] = (await rowsOf<{ n: number }>(client, 'SELECT COUNT(*)::int AS n FROM agent_replies')) as [{ n: number }];
      if (n + parts.length > cap) return null;
      const ids: number[] = [];
      for (const p of parts) {
        const [row] = await rowsOf<{ id: number }>(
          client,
          `INSERT INTO agent_replies (${REPLY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
          replyValues(p, nowIso),
        );
        ids.push(row!.id);
      }
      return ids;
    });
  }

  async list(limit = 10_000): Promise<QueuedReply[]> {
    return (await this.query<ReplyRow & Record<string, unknown>>('SELECT * FROM agent_replies ORDER BY id LIMIT $1', [limit])).map(
      rowToReply,
    );
  }

  async count(): Promise<number> {
    return (await this.one<{ n: number }>('SELECT COUNT(*)::int AS n FROM agent_replies'))!.n;
  }

  async progress(id: number, attempt: number, sends: number): Promise<void> {
    await this.query('UPDATE agent_replies SET attempt = $1, sends = $2 WHERE id = $3', [attempt, sends, id]);
  }

  async remove(id: number): Promise<void> {
    await this.query('DELETE FROM agent_replies WHERE id = $1', [id]);
  }
}
