/**
 * Customers' messages on PostgreSQL: durable de-duplication on (acc_id, msg_id), and the contacts book. Several
 * daemons may record one re-delivered message at once: the primary key decides which one records it as new.
 */
import type { Contact, InboundMessageKey, InboundRecord, InboundStore } from '../ports/inbound.js';
import { iso } from '../rows.js';
import { PgRepository, rowsOf } from './repository.js';

export class PgInbound extends PgRepository implements InboundStore {
  /** `new`, `resumed` (recorded before but not handled: its daemon died in between) or `duplicate` (handled). */
  record(message: InboundMessageKey): Promise<InboundRecord> {
    const nowMs = this.clock();
    return this.write(async (client) => {
      const fresh = await rowsOf(
        client,
        `INSERT INTO inbound_messages (acc_id, msg_id, from_id, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING msg_id`,
        [message.acc_id, message.msg_id, message.from_id, nowMs],
      );
      if (fresh.length === 1) {
        const at = iso(nowMs);
        await client.query(
          `INSERT INTO contacts (acc_id, from_id, name, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (acc_id, from_id) DO UPDATE SET name = COALESCE(excluded.name, contacts.name), last_seen_at = excluded.last_seen_at`,
          [message.acc_id, message.from_id, message.from_name ?? null, at],
        );
        return 'new';
      }
      const [row] = await rowsOf<{ handled_at: number | null }>(
        client,
        'SELECT handled_at FROM inbound_messages WHERE acc_id = $1 AND msg_id = $2',
        [message.acc_id, message.msg_id],
      );
      return row?.handled_at === null ? 'resumed' : 'duplicate';
    });
  }

  async handled(accId: string, msgId: string): Promise<void> {
    await this.query('UPDATE inbound_messages SET handled_at = $1 WHERE acc_id = $2 AND msg_id = $3', [this.clock(), accId, msgId]);
  }

  async accountFor(fromId: string): Promise<string | null> {
    const row = await this.one<{ acc_id: string }>('SELECT acc_id FROM contacts WHERE from_id = $1 ORDER BY last_seen_at DESC LIMIT 1', [
      fromId,
    ]);
    return row?.acc_id ?? null;
  }

  contact(fromId: string): Promise<Contact[]> {
    return this.query<Contact & Record<string, unknown>>('SELECT * FROM contacts WHERE from_id = $1 ORDER BY last_seen_at DESC', [fromId]);
  }

  async prune(olderThanMs: number, limit: number): Promise<number> {
    const gone = await this.query(
      `DELETE FROM inbound_messages WHERE (acc_id, msg_id) IN
         (SELECT acc_id, msg_id FROM inbound_messages WHERE received_at < $1 LIMIT $2) RETURNING msg_id`,
      [olderThanMs, limit],
    );
    return gone.length;
  }
}
