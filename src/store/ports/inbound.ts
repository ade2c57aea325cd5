/**
 * The inbound port: customers' messages as the bridge delivers them (durable de-duplication on acc_id + msg_id) and
 * the contacts book (from_id → the account they talk to, their name, when last seen).
 */
export interface InboundMessageKey {
  acc_id: string;
  msg_id: string;
  from_id: string;
  from_name?: string | null;
}

import type { ClaimOptions, TaskRecord } from './tasks.js';

export type InboundRecord = 'new' | 'resumed' | 'duplicate';

/** A waiting task a message matched, to be claimed as the message is taken in (InboundStore.take). */
export interface MessageClaim {
  taskId: string;
  options: ClaimOptions;
}

export interface TakenMessage {
  /** What record() would have said. */
  recorded: InboundRecord;
  /** For each claim asked, in order: the claimed task, or null where another claimer won (none on a duplicate). */
  claimed: (TaskRecord | null)[];
}

export interface Contact {
  acc_id: string;
  from_id: string;
  name: string | null;
  first_seen_at: string;
  last_seen_at: string;
}

export interface InboundStore {
  /**
   * Records a customer's message and its sender: `new`; `duplicate` when this (acc_id, msg_id) was already handled;
   * `resumed` when it was recorded before but not handled (its daemon died in between).
   */
  record(message: InboundMessageKey): Promise<InboundRecord>;
  /** The message's tasks are claimed: a re-delivery of it is now a duplicate. */
  handled(accId: string, msgId: string): Promise<void>;
  /**
   * Takes a customer's message in, in ONE transaction: records it (as record()), claims the tasks it matched (each
   * as TaskStore.claim()) and marks it handled — all or nothing, so a failure stores none of it and the bridge's
   * re-delivery takes it in again. A `duplicate` (already handled) claims nothing. One commit instead of record +
   * each claim + handled: the send leaves sooner. SQLite: messages taken in one turn of the event loop share one
   * commit (the connection's group commit), each in its own savepoint, taken in call order.
   */
  take(message: InboundMessageKey, claims: readonly MessageClaim[]): Promise<TakenMessage>;
  /** The account a customer last talked to: where a clock-fired task for them is sent from. */
  accountFor(fromId: string): Promise<string | null>;
  /** Every account the customer talked to, the most recent first. */
  contact(fromId: string): Promise<Contact[]>;
  /** Forgets up to `limit` de-duplication keys older than `olderThanMs`; returns how many. */
  prune(olderThanMs: number, limit: number): Promise<number>;
}
