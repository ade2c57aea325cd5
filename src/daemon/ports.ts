/**
 * What the daemon's services need from the world, as small interfaces: a test builds a service with real parts
 * on loopback (a simulator bridge, a callback sink) and a clock it controls.
 */
import type { Priority } from '../tasks/index.js';

/** pino-compatible: `logger.info({ task_id }, '任务触发 …')`. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface SendResult {
  msg_id?: string | null;
}

/**
 * What a send carries, in the daemon's own terms. The 轻简 adapter (src/daemon/qingjian) maps these onto its frames;
 * the engine, the agent and the outbox never see a protocol type, so another bridge only needs another adapter.
 */
export interface TextCommand {
  /** Our WeCom account that talks to the customer. */
  acc_id: string;
  /** The customer (`from_id` of their messages). */
  to_id: string;
  content: string;
}

export interface FileCommand {
  acc_id: string;
  to_id: string;
  kind: 'file' | 'image';
  /** An http(s) URL the bridge downloads … */
  file_url?: string;
  /** … or a path on the bridge's machine. Exactly one of the two. */
  file_path?: string;
  /** The name the customer sees. */
  file_name?: string;
}

/** What a send's place in the queue depends on (the polite sender, AICS_SEND_RATE): a task's priority and due time. */
export interface SendMeta {
  priority?: Priority;
  dueAtMs?: number;
}

/**
 * Sends to customers: the 轻简 bridge in production. A rejection whose error has `retryable: false` is final;
 * any other rejection may succeed on a later attempt. `reqId` is stable per attempt (see requestId()).
 */
export interface MessageSender {
  sendText(command: TextCommand, reqId: string, meta?: SendMeta): Promise<SendResult>;
  sendFile(command: FileCommand, reqId: string, meta?: SendMeta): Promise<SendResult>;
  /** Accounts the bridge has reported as logged in; used when a customer's account is not yet known. */
  accounts?(): string[];
  /** Whether a send can leave now (the bridge is connected); absent: always. */
  isConnected?(): boolean;
  /** Calls `listener` each time the bridge (re)connects; returns an unsubscribe function. */
  onConnected?(listener: () => void): () => void;
}

export function isRetryable(error: unknown): boolean {
  return !(error && typeof error === 'object' && (error as { retryable?: unknown }).retryable === false);
}

/** The send may have been delivered (the connection dropped or the ack timed out after it left). */
export function isInDoubt(error: unknown): boolean {
  return Boolean(error && typeof error === 'object' && (error as { inDoubt?: unknown }).inDoubt === true);
}

/** The send never left (the bridge was away): not an attempt, the task waits for the bridge. */
export function isNotSent(error: unknown): boolean {
  return Boolean(error && typeof error === 'object' && (error as { notSent?: unknown }).notSent === true);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
