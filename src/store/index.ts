/** The one store library: every query of aics lives below this folder. */
export * from './types.js';
export { SqliteTaskStore, MAX_PAGE_SIZE, type SqliteStoreOptions } from './sqlite-store.js';
export { DEFAULT_DB_PATH, ensureDatabaseFolder, openDatabase, translateSqliteError } from './connection.js';
export { SCHEMA_VERSION } from './migrations.js';
export { SqliteInbound, type Contact, type InboundMessageKey, type InboundRecord } from './inbound.js';
export { SqliteOutbox, type OutboxItem, type OutboxKind } from './outbox.js';
export { openStore, type Store } from './open-store.js';
export { SqliteControl, type PauseState } from './control.js';
export { SqliteOps, inspectDatabase, type DatabaseInspection, type TaskCount } from './ops.js';
export { SqliteCallbackSink, type CallbackReceipt, type ReceivedCallback } from './callback-sink.js';
export {
  SqliteAgentStore,
  conversationKey,
  type ChatEntry,
  type ChatFile,
  type ChatMessage,
  type ChatRole,
  type ChatToolCall,
  type ConversationState,
  type ConversationStateName,
  type OrderRecord,
} from './agent.js';
export { SqliteReplyQueue, type QueuedReply, type QueuedReplyInput } from './agent-replies.js';
export { databaseFileAt, SQLITE_SIDE_FILES } from './file-identity.js';
