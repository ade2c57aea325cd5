/**
 * The store as the rest of aics sees it: one port per concern, opened together on one location (a SQLite file
 * or a PostgreSQL URL), closed together.
 */
import type { CallbackStore } from './callbacks.js';
import type { ControlStore } from './control.js';
import type { ConversationStore } from './conversations.js';
import type { InboundStore } from './inbound.js';
import type { StoreMaintenance } from './maintenance.js';
import type { OpsStore } from './ops.js';
import type { OutboxStore } from './outbox.js';
import type { ReplyStore } from './replies.js';
import type { TaskStore } from './tasks.js';

export interface Store {
  /** Where the store lives: the SQLite file, or a server's address (without its password). */
  readonly file: string;
  readonly tasks: TaskStore;
  readonly outbox: OutboxStore;
  readonly inbound: InboundStore;
  readonly callbacks: CallbackStore;
  /** The agent's chat log, conversation states and orders. */
  readonly agent: ConversationStore;
  /** The agent's answers not yet sent. */
  readonly replies: ReplyStore;
  /** Switches every daemon on the store obeys (the pause). */
  readonly control: ControlStore;
  /** Reads for operators (metrics, why a task has not fired). */
  readonly ops: OpsStore;
  /** File sizes, backup and integrity check: only a store kept in a local file has them; null otherwise. */
  readonly maintenance: StoreMaintenance | null;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Milliseconds since the epoch; tests pass a fake clock. */
  clock?: () => number;
  /** IANA zone in which `time_reach` wall-clock times and cron expressions are read. */
  timeZone?: string;
  /** Wait this long for another process's write lock before failing (ms). */
  busyTimeoutMs?: number;
  /** For commands that must never create or change the store. */
  readonly?: boolean;
  /** Connections to a database server (--db-pool / AICS_DB_POOL); a SQLite file has one. */
  poolSize?: number;
}
