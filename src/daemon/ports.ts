/**
 * What the daemon's services need from the world, as small interfaces: a test builds a service with real parts
 * on loopback (a simulator bridge, a callback sink) and a clock it controls.
 */
import type { Priority } from '../tasks/index.js';
import type { SendFileRequest, SendTextRequest } from './qingjian/protocol.js';

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

/** What a send carries: the 轻简 protocol's requests (the bridge is the only sender there is). */
export type TextCommand = SendTextRequest;
export type FileCommand = SendFileRequest;

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
