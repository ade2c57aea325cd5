/**
 * The callback sink's memory: what POST /api/task/callback received. The seed's default TIANWANG_CALLBACK_URL
 * points at the daemon itself, so a trial without a real Tianwang can see every callback that would have gone out
 * (duplicates included: delivery is at least once).
 */
import { callbackValues, rowToCallback, type ReceivedCallbackRow } from './callback-rows.js';
import { iso } from './rows.js';
import { SqliteRepository } from './repository.js';
import { MAX_STORED_CALLBACKS, type CallbackReceipt, type CallbackStore, type ReceivedCallback } from './ports/callbacks.js';

export class SqliteCallbackSink extends SqliteRepository implements CallbackStore {
  record(receipt: CallbackReceipt): Promise<ReceivedCallback> {
    const nowIso = iso(this.clock());
    // Through the group commit: a burst of callbacks (the daemon's own sink during a batch of firings) shares one transaction.
    return this.writeGrouped(() => {
      const row = this.statement(
        `INSERT INTO received_callbacks (received_at, event_id, task_id, status, body, remote_address, signature)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      ).get(nowIso, ...callbackValues(receipt)) as ReceivedCallbackRow;
      this.statement('DELETE FROM received_callbacks WHERE id <= ?').run(row.id - MAX_STORED_CALLBACKS);
      return rowToCallback(row);
    });
  }

  list(query: { taskId?: string; limit?: number } = {}): Promise<ReceivedCallback[]> {
    const limit = query.limit ?? 1000;
    return this.read(() => {
      const rows = (
        query.taskId === undefined
          ? this.statement('SELECT * FROM received_callbacks ORDER BY id LIMIT ?').all(limit)
          : this.statement('SELECT * FROM received_callbacks WHERE task_id = ? ORDER BY id LIMIT ?').all(query.taskId, limit)
      ) as ReceivedCallbackRow[];
      return rows.map(rowToCallback);
    });
  }

  /** Forgets up to `limit` callbacks received before `olderThanMs`; returns how many. */
  prune(olderThanMs: number, limit: number): Promise<number> {
    return this.write(
      () =>
        this.statement(
          'DELETE FROM received_callbacks WHERE id IN (SELECT id FROM received_callbacks WHERE received_at < ? ORDER BY id LIMIT ?)',
        ).run(iso(olderThanMs), limit).changes,
    );
  }
}
