/** One connection, every repository on it: what the daemon's composition root opens. */
import { SqliteAgentStore } from './agent.js';
import { SqliteReplyQueue } from './agent-replies.js';
import { SqliteCallbackSink } from './callback-sink.js';
import { openDatabase } from './connection.js';
import { SqliteControl } from './control.js';
import { SqliteOps } from './ops.js';
import { SqliteInbound } from './inbound.js';
import { SqliteOutbox } from './outbox.js';
import { SqliteTaskStore, type SqliteStoreOptions } from './sqlite-store.js';

export interface Store {
  readonly file: string;
  readonly tasks: SqliteTaskStore;
  readonly outbox: SqliteOutbox;
  readonly inbound: SqliteInbound;
  readonly callbacks: SqliteCallbackSink;
  /** The agent's chat log, conversation states and orders. */
  readonly agent: SqliteAgentStore;
  /** The agent's answers not yet sent. */
  readonly replies: SqliteReplyQueue;
  /** Switches every daemon on the file obeys (the pause). */
  readonly control: SqliteControl;
  /** Reads for operators (metrics, why a task has not fired). */
  readonly ops: SqliteOps;
  close(): void;
}

export function openStore(file: string, options: SqliteStoreOptions = {}): Store {
  const db = openDatabase(file, options);
  const tasks = new SqliteTaskStore(db, file, options);
  const clock = options.clock ?? Date.now;
  return {
    file: tasks.file,
    tasks,
    outbox: new SqliteOutbox(db, tasks.file, clock),
    inbound: new SqliteInbound(db, tasks.file, clock),
    callbacks: new SqliteCallbackSink(db, tasks.file, clock),
    agent: new SqliteAgentStore(db, tasks.file, clock),
    replies: new SqliteReplyQueue(db, tasks.file, clock),
    control: new SqliteControl(db, tasks.file, clock),
    ops: new SqliteOps(db, tasks.file, clock),
    close: () => tasks.close(),
  };
}
