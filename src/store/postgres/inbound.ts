/**
 * Customers' messages on PostgreSQL: durable de-duplication on (acc_id, msg_id), and the contacts book. Several
 * daemons may record one re-delivered message at once: the primary key decides which one records it as new.
 */
import type pg from 'pg';
import type { Contact, InboundMessageKey, InboundRecord, InboundStore, MessageClaim, TakenMessage } from '../ports/inbound.js';
import type { ClaimOptions, TaskRecord } from '../ports/tasks.js';
import { iso } from '../rows.js';
import type { Pool } from './pool.js';
import { PgRepository, rowsOf } from './repository.js';

/** The task store's claim on the caller's transaction (PgTaskLifecycle). */
export interface PgClaimInTransaction {
  claimInTransaction(q: pg.PoolClient, taskId: string, options: ClaimOptions, nowMs: number): Promise<TaskRecord | null>;
}

export class PgInbound extends PgRepository implements InboundStore {
  constructor(
    pool: Pool,
    file: string,
    clock: () => number,
    private readonly tasks: PgClaimInTransaction,
  ) {
    super(pool, file, clock);
  }

  /** `new`, `resumed` (recorded before but not handled: its daemon died in between) or `duplicate` (handled). */
  record(message: InboundMessageKey): Promise<InboundRecord> {
    const nowMs = this.clock();
    return this.write((client) => this.recordRow(client, message, nowMs, null));
  }

  /** record(), the claims and handled() in one transaction: one commit for the message. */
  take(message: InboundMessageKey, claims: readonly MessageClaim[]): Promise<TakenMessage> {
    const nowMs = this.clock();
    return this.write(async (client) => {
      // Handled as it is recorded: the claims below commit with it or the whole message rolls back.
      const recorded = await this.recordRow(client, message, nowMs, nowMs);
      if (recorded === 'duplicate') return { recorded, claimed: [] };
      const claimed: (TaskRecord | null)[] = [];
      for (const c of claims) claimed.push(await this.tasks.claimInTransaction(client, c.taskId, c.options, nowMs));
      if (recorded === 'resumed') await this.markHandled(client, message.acc_id, message.msg_id, nowMs);
      return { recorded, claimed };
    });
  }

  private async recordRow(
    client: pg.PoolClient,
    message: InboundMessageKey,
    nowMs: number,
    handledAt: number | null,
  ): Promise<InboundRecord> {
    const fresh = await rowsOf(
      client,
      `INSERT INTO inbound_messages (acc_id, msg_id, from_id, received_at, handled_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING msg_id`,
      [message.acc_id, message.msg_id, message.from_id, nowMs, handledAt],
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
  }

  async handled(accId: string, msgId: string): Promise<void> {
    await this.query('UPDATE inbound_messages SET handled_at = $1 WHERE acc_id = $2 AND msg_id = $3', [this.clock(), accId, msgId]);
  }

  private async markHandled(client: pg.PoolClient, accId: string, msgId: string, nowMs: number): Promise<void> {
    await client.query('UPDATE inbound_messages SET handled_at = $1 WHERE acc_id = $2 AND msg_id = $3', [nowMs, accId, msgId]);
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
