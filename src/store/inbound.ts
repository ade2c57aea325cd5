/**
 * Customers' messages as the bridge delivers them: durable de-duplication on (acc_id, msg_id), and the contacts
 * book (from_id → the account they talk to, their name, when last seen).
 */
import { iso } from './rows.js';
import { BurstCommit } from './burst-commit.js';
import { SqliteRepository } from './repository.js';
import type { Db } from './connection.js';
import type { Contact, InboundMessageKey, InboundRecord, InboundStore, MessageClaim, TakenMessage } from './ports/inbound.js';
import type { ClaimOptions, TaskRecord } from './ports/tasks.js';

/** The task store's claim, run inside the caller's transaction on the same connection (SqliteTaskLifecycle). */
export interface ClaimInTransaction {
  claimInTransaction(taskId: string, options: ClaimOptions): TaskRecord | null;
}

export class SqliteInbound extends SqliteRepository implements InboundStore {
  private readonly takes = new BurstCommit(
    (fn) => this.write(fn),
    (fn) => this.writeGrouped(fn),
  );

  constructor(
    db: Db,
    file: string,
    clock: () => number,
    private readonly tasks: ClaimInTransaction,
  ) {
    super(db, file, clock);
  }

  /**
   * Records a customer's message and its sender: `new`; `duplicate` when this (acc_id, msg_id) was already handled;
   * `resumed` when it was recorded before but not handled (its daemon died in between). The bridge
   * re-delivers an event until it is acked, and a restart must not fire a task twice — but a message recorded by a
   * daemon that died before it was handled must be handled again, so only handled() makes it a duplicate.
   */
  record(message: InboundMessageKey): Promise<InboundRecord> {
    const nowMs = this.clock();
    return this.write(() => this.recordRow(message, nowMs, null));
  }

  /**
   * record(), the claims and handled() in one transaction: the first message of a turn of the event loop commits at
   * once, the ones after it in the same turn (a burst from several customers) share one commit of the connection's
   * group commit, each in its own savepoint (BurstCommit). Each message's promise settles only after its commit, so
   * the bridge's event is acked only for a message durably taken in. A claim that throws rolls back this message
   * alone (not recorded: the re-delivery takes it in again).
   */
  take(message: InboundMessageKey, claims: readonly MessageClaim[]): Promise<TakenMessage> {
    return this.takes.run(() => {
      const nowMs = this.clock();
      // Handled as it is recorded: the claims below commit with it or the whole message rolls back.
      const recorded = this.recordRow(message, nowMs, nowMs);
      if (recorded === 'duplicate') return { recorded, claimed: [] };
      const claimed = claims.map((c) => this.tasks.claimInTransaction(c.taskId, c.options));
      if (recorded === 'resumed') this.markHandled(message.acc_id, message.msg_id, nowMs);
      return { recorded, claimed };
    });
  }

  /** Inserts the message (handled at `handledAt`, or not yet) unless its key is there; what record() answers. */
  private recordRow(message: InboundMessageKey, nowMs: number, handledAt: number | null): InboundRecord {
    const fresh =
      this.statement(
        'INSERT INTO inbound_messages (acc_id, msg_id, from_id, received_at, handled_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      ).run(message.acc_id, message.msg_id, message.from_id, nowMs, handledAt).changes === 1;
    if (fresh) {
      this.touchContact(message.acc_id, message.from_id, message.from_name ?? null, nowMs);
      return 'new';
    }
    const row = this.statement('SELECT handled_at FROM inbound_messages WHERE acc_id = ? AND msg_id = ?').get(
      message.acc_id,
      message.msg_id,
    ) as { handled_at: number | null } | undefined;
    return row?.handled_at === null ? 'resumed' : 'duplicate';
  }

  /** The message's tasks are claimed: a re-delivery of it is now a duplicate. */
  handled(accId: string, msgId: string): Promise<void> {
    const nowMs = this.clock();
    return this.write(() => this.markHandled(accId, msgId, nowMs));
  }

  private markHandled(accId: string, msgId: string, nowMs: number): void {
    this.statement('UPDATE inbound_messages SET handled_at = ? WHERE acc_id = ? AND msg_id = ?').run(nowMs, accId, msgId);
  }

  private touchContact(accId: string, fromId: string, name: string | null, nowMs: number) {
    const at = iso(nowMs);
    this.statement(
      `INSERT INTO contacts (acc_id, from_id, name, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (acc_id, from_id) DO UPDATE SET name = COALESCE(excluded.name, contacts.name), last_seen_at = excluded.last_seen_at`,
    ).run(accId, fromId, name, at, at);
  }

  /** The account a customer last talked to: where a clock-fired task for them is sent from. */
  accountFor(fromId: string): Promise<string | null> {
    return this.read(() => {
      const row = this.statement(
        'SELECT acc_id FROM contacts INDEXED BY contacts_from WHERE from_id = ? ORDER BY last_seen_at DESC LIMIT 1',
      ).get(fromId) as { acc_id: string } | undefined;
      return row?.acc_id ?? null;
    });
  }

  contact(fromId: string): Promise<Contact[]> {
    return this.read(() => this.statement('SELECT * FROM contacts WHERE from_id = ? ORDER BY last_seen_at DESC').all(fromId) as Contact[]);
  }

  /** Forgets up to `limit` de-duplication keys older than the bridge could ever re-deliver; returns how many. */
  prune(olderThanMs: number, limit: number): Promise<number> {
    return this.write(
      () =>
        this.statement(
          `DELETE FROM inbound_messages WHERE (acc_id, msg_id) IN
             (SELECT acc_id, msg_id FROM inbound_messages INDEXED BY inbound_messages_age WHERE received_at < ? LIMIT ?)`,
        ).run(olderThanMs, limit).changes,
    );
  }
}
