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

export type InboundRecord = 'new' | 'resumed' | 'duplicate';

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
  /** The account a customer last talked to: where a clock-fired task for them is sent from. */
  accountFor(fromId: string): Promise<string | null>;
  /** Every account the customer talked to, the most recent first. */
  contact(fromId: string): Promise<Contact[]>;
  /** Forgets up to `limit` de-duplication keys older than `olderThanMs`; returns how many. */
  prune(olderThanMs: number, limit: number): Promise<number>;
}
