/** The callback sink's memory on PostgreSQL: what POST /api/task/callback received (the newest MAX_STORED_CALLBACKS). */
import { callbackValues, rowToCallback, type ReceivedCallbackRow } from '../callback-rows.js';
import { MAX_STORED_CALLBACKS, type CallbackReceipt, type CallbackStore, type ReceivedCallback } from '../ports/callbacks.js';
import { iso } from '../rows.js';
import { PgRepository, rowsOf } from './repository.js';

type Row = ReceivedCallbackRow & Record<string, unknown>;

export class PgCallbackSink extends PgRepository implements CallbackStore {
  record(receipt: CallbackReceipt): Promise<ReceivedCallback> {
    const nowIso = iso(this.clock());
    return this.write(async (client) => {
      const [row] = await rowsOf<Row>(
        client,
        `INSERT INTO received_callbacks (received_at, event_id, task_id, status, body, remote_address, signature)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [nowIso, ...callbackValues(receipt)],
      );
      await client.query('DELETE FROM received_callbacks WHERE id <= $1', [row!.id - MAX_STORED_CALLBACKS]);
      return rowToCallback(row!);
    });
  }

  async list(query: { taskId?: string; limit?: number } = {}): Promise<ReceivedCallback[]> {
    const limit = query.limit ?? 1000;
    const rows =
      query.taskId === undefined
        ? await this.query<Row>('SELECT * FROM received_callbacks ORDER BY id LIMIT $1', [limit])
        : await this.query<Row>('SELECT * FROM received_callbacks WHERE task_id = $1 ORDER BY id LIMIT $2', [query.taskId, limit]);
    return rows.map(rowToCallback);
  }

  async prune(olderThanMs: number, limit: number): Promise<number> {
    const gone = await this.query(
      `DELETE FROM received_callbacks WHERE id IN (SELECT id FROM received_callbacks WHERE received_at < $1 ORDER BY id LIMIT $2)
         RETURNING id`,
      [iso(olderThanMs), limit],
    );
    return gone.length;
  }
}
