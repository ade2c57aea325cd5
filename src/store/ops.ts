/** Reads for operators: the counts /metrics exports, and what `aics task status --why` shows. */
import { SqliteRepository } from './repository.js';
import type { OpsStore, SeenMessage, TaskCount } from './ports/ops.js';

export class SqliteOps extends SqliteRepository implements OpsStore {
  /**
   * Customers' recent messages, newest last: from the chat log (kept with their text when the agent runs), else
   * from the de-duplication keys (arrival only; kept 7 days). With fromId, that customer's; else anyone's.
   */
  recentMessages(options: { fromId?: string; limit: number }): Promise<SeenMessage[]> {
    return this.read(() => {
      const chat = (
        options.fromId === undefined
          ? this.statement(
              `SELECT acc_id, from_id, msg_id, text, at_ms FROM chat_messages WHERE role = 'customer' ORDER BY id DESC LIMIT ?`,
            ).all(options.limit)
          : this.statement(
              `SELECT acc_id, from_id, msg_id, text, at_ms FROM chat_messages INDEXED BY chat_messages_from WHERE from_id = ? AND role = 'customer' ORDER BY id DESC LIMIT ?`,
            ).all(options.fromId, options.limit)
      ) as Omit<SeenMessage, 'from_name'>[];
      const seen = new Set(chat.map((m) => `${m.acc_id}/${m.msg_id}`));
      const arrivals = (
        options.fromId === undefined
          ? this.statement(
              `SELECT acc_id, from_id, msg_id, NULL AS text, received_at AS at_ms FROM inbound_messages ORDER BY received_at DESC LIMIT ?`,
            ).all(options.limit)
          : this.statement(
              `SELECT acc_id, from_id, msg_id, NULL AS text, received_at AS at_ms FROM inbound_messages WHERE from_id = ? ORDER BY received_at DESC LIMIT ?`,
            ).all(options.fromId, options.limit)
      ) as Omit<SeenMessage, 'from_name'>[];
      const names = this.statement('SELECT name FROM contacts WHERE acc_id = ? AND from_id = ?');
      return [...chat, ...arrivals.filter((m) => !seen.has(`${m.acc_id}/${m.msg_id}`))]
        .sort((a, b) => b.at_ms - a.at_ms)
        .slice(0, options.limit)
        .reverse()
        .map((m) => ({ ...m, from_name: (names.get(m.acc_id, m.from_id) as { name: string | null } | undefined)?.name ?? null }));
    });
  }

  /** Tasks by status and trigger type: one pass over the (status, trigger_type) index. */
  taskCounts(): Promise<TaskCount[]> {
    return this.read(
      () =>
        this.statement(
          `SELECT status, COALESCE(trigger_type, 'unknown') AS trigger_type, COUNT(*) AS count
           FROM tasks INDEXED BY tasks_status_trigger GROUP BY status, trigger_type`,
        ).all() as TaskCount[],
    );
  }
}
