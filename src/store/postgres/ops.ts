/** Reads for operators on the PostgreSQL store: the counts /metrics exports, and what `aics task status --why` shows. */
import type { OpsStore, SeenMessage, TaskCount } from '../ports/ops.js';
import { PgRepository } from './repository.js';

type Seen = Omit<SeenMessage, 'from_name'> & Record<string, unknown>;

export class PgOps extends PgRepository implements OpsStore {
  /**
   * Customers' recent messages, newest last: from the chat log (kept with their text when the agent runs), else
   * from the de-duplication keys (arrival only). With fromId, that customer's; else anyone's. Names from contacts.
   */
  async recentMessages(options: { fromId?: string; limit: number }): Promise<SeenMessage[]> {
    const byCustomer = options.fromId !== undefined;
    const params = byCustomer ? [options.limit, options.fromId] : [options.limit];
    const [chat, arrivals] = await Promise.all([
      this.query<Seen>(
        `SELECT acc_id, from_id, msg_id, text, at_ms FROM chat_messages WHERE role = 'customer' ${byCustomer ? 'AND from_id = $2' : ''}
         ORDER BY id DESC LIMIT $1`,
        params,
      ),
      this.query<Seen>(
        `SELECT acc_id, from_id, msg_id, NULL AS text, received_at AS at_ms FROM inbound_messages ${byCustomer ? 'WHERE from_id = $2' : ''}
         ORDER BY received_at DESC LIMIT $1`,
        params,
      ),
    ]);
    const seen = new Set(chat.map((m) => `${m.acc_id}/${m.msg_id}`));
    const messages = [...chat, ...arrivals.filter((m) => !seen.has(`${m.acc_id}/${m.msg_id}`))]
      .sort((a, b) => b.at_ms - a.at_ms)
      .slice(0, options.limit)
      .reverse();
    if (!messages.length) return [];
    const names = await this.query<{ acc_id: string; from_id: string; name: string | null }>(
      `SELECT c.acc_id, c.from_id, c.name FROM contacts c JOIN unnest($1::text[], $2::text[]) AS k(acc_id, from_id)
         ON c.acc_id = k.acc_id AND c.from_id = k.from_id`,
      [messages.map((m) => m.acc_id), messages.map((m) => m.from_id)],
    );
    const nameOf = new Map(names.map((n) => [`${n.acc_id}/${n.from_id}`, n.name]));
    return messages.map((m) => ({ ...m, from_name: nameOf.get(`${m.acc_id}/${m.from_id}`) ?? null }));
  }

  /** Tasks by status and trigger type. */
  async taskCounts(): Promise<TaskCount[]> {
    return this.query<TaskCount & Record<string, unknown>>(
      `SELECT status, COALESCE(trigger_type, 'unknown') AS trigger_type, COUNT(*) AS count FROM tasks GROUP BY status, trigger_type`,
    );
  }
}
