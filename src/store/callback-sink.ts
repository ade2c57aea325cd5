/**
 * The callback sink's memory: what POST /api/task/callback received. The seed's default TIANWANG_CALLBACK_URL
 * points at the daemon itself, so a trial without a real Tianwang can see every callback that would have gone out
 * (duplicates included: delivery is at least once).
 */
import { iso } from './rows.js';
import { SqliteRepository } from './repository.js';
import { MAX_STORED_CALLBACKS, type CallbackReceipt, type CallbackStore, type ReceivedCallback } from './ports/callbacks.js';

type ReceivedCallbackRow = Omit<ReceivedCallback, 'body'> & { body: string };

export class SqliteCallbackSink extends SqliteRepository implements CallbackStore {
  record(receipt: CallbackReceipt): Promise<ReceivedCallback> {
    const nowIso = iso(this.clock());
    const body = receipt.body;
    const field = (name: string): string | null => {
      const v = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[name] : undefined;
      return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
    };
    return this.write(() => {
      const row = this.statement(
        `INSERT INTO received_callbacks (received_at, event_id, task_id, status, body, remote_address, signature)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      ).get(
        nowIso,
        field('event_id'),
        field('task_id'),
        field('status'),
        JSON.stringify(body ?? null),
        receipt.remoteAddress ?? null,
        receipt.signature ?? null,
      ) as ReceivedCallbackRow;
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

function rowToCallback(row: ReceivedCallbackRow): ReceivedCallback {
  let body: unknown = row.body;
  try {
    body = JSON.parse(row.body);
  } catch {
    // kept as text
  }
  return { ...row, body };
}
