/**
 * Copying a whole store to another (`aics db migrate`): every table read in pages and written idempotently, on
 * SQLite and PostgreSQL alike, so that a move either way (and a second run) needs no dialect in the caller.
 */
export type TransferRow = Record<string, unknown>;

/** The tables a migration copies, parents first. The daemon registry is left out: it is the running daemons' own. */
export const TRANSFER_TABLES = [
  'tasks',
  'task_events',
  'task_attempts',
  'contacts',
  'outbox',
  'received_callbacks',
  'inbound_messages',
  'chat_messages',
  'conversations',
  'agent_orders',
  'agent_replies',
  'control_flags',
] as const;

export type TransferTable = (typeof TRANSFER_TABLES)[number];

/** A table name goes into SQL text: only ever one of the list. */
export function transferTable(name: string): TransferTable {
  if (!(TRANSFER_TABLES as readonly string[]).includes(name)) throw new Error(`not a table of the store: ${name}`);
  return name as TransferTable;
}

export interface TransferPage {
  rows: TransferRow[];
  /** Where the next page starts; null after the last one. */
  next: number | null;
}

export interface StoreTransfer {
  count(table: TransferTable): Promise<number>;
  /** Rows in the table's insertion order, from `cursor` (0 for the first page). */
  readPage(table: TransferTable, cursor: number, limit: number): Promise<TransferPage>;
  /** Writes the rows not there yet (by their keys; the columns this store lacks are left out); returns how many were new. */
  writeRows(table: TransferTable, rows: readonly TransferRow[]): Promise<number>;
  /** After the writes: what the store needs to go on numbering rows after the copied ones. */
  finish(): Promise<void>;
}
