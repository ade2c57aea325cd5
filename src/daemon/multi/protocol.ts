/**
 * The IPC between the front of `aics serve --multi` and its worker processes (Node's fork channel, one message per
 * object). The front owns the 轻简 socket: it hands each customer message to the worker that owns the customer and
 * sends on the workers' behalf; a worker writes its log lines, heartbeats and answers back.
 */
import type { Settings } from '../../config.js';
import type { BackoffPolicy } from '../engine/backoff.js';
import type { FileCommand, SendMeta, SendResult, TextCommand } from '../ports.js';
import type { BridgeMessage } from '../qingjian/index.js';

/** What a worker process needs to build its part (sent once, first). */
export interface WorkerInit {
  index: number;
  count: number;
  settings: Settings;
  agent: boolean;
  pollMs?: number;
  leaseMs?: number;
  actionBackoff?: BackoffPolicy;
  drainTimeoutMs: number;
  /** How often the worker says it is alive (ms). */
  heartbeatMs: number;
}

/** A send's failure as plain data: the engine reads retryable / inDoubt / notSent off it, never its class. */
export interface SendFailure {
  message: string;
  props: Record<string, string | number | boolean | null>;
}

export type FrontToWorker =
  | { t: 'init'; init: WorkerInit }
  /** A customer message; answered by `handled` with the same seq. */
  | { t: 'message'; seq: number; message: BridgeMessage }
  | { t: 'send-result'; id: number; result?: SendResult; failure?: SendFailure }
  | { t: 'bridge'; connected: boolean; accounts: string[] }
  /** A task was stored: look for due work now. */
  | { t: 'poke' }
  /**
   * Send the stored answers of this worker's customers that an earlier process left: sent once no other worker of
   * the shard runs (at the first start, after a restart, after a reload's old worker exited).
   */
  | { t: 'resume-answers' }
  /** Stop taking work, finish what is under way, exit (a reload or the daemon's stop). */
  | { t: 'drain' };

export type WorkerToFront =
  | { t: 'ready'; pid: number }
  | { t: 'handled'; seq: number; ok: boolean }
  | { t: 'send'; id: number; kind: 'text'; command: TextCommand; reqId: string; meta?: SendMeta }
  | { t: 'send'; id: number; kind: 'file'; command: FileCommand; reqId: string; meta?: SendMeta }
  /** One pino line of the worker, written to the front's log with worker=<index>. */
  | { t: 'log'; line: string }
  | { t: 'beat'; rss: number };

export function toFailure(error: unknown): SendFailure {
  const props: SendFailure['props'] = {};
  if (error && typeof error === 'object') {
    for (const [key, value] of Object.entries(error)) {
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) props[key] = value as string | number | boolean | null;
    }
  }
  return { message: error instanceof Error ? error.message : String(error), props };
}

export function fromFailure(failure: SendFailure): Error {
  return Object.assign(new Error(failure.message), failure.props);
}
