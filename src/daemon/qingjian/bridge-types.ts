/** The options of QingjianBridge (client.ts) and the state it reports to /api/health, the metrics and the monitor. */
import type { Logger } from '../ports.js';
import type { AccountState } from './accounts.js';
import type { BridgeConnectionState } from './connection.js';

export interface QingjianBridgeOptions {
  /** Default `ws://127.0.0.1:9528`. */
  url?: string;
  logger?: Logger;
  /** Extra HTTP headers of the WebSocket handshake (a vendor token, say). */
  headers?: Record<string, string>;
  /** Default 30 000. */
  heartbeatIntervalMs?: number;
  /** Unanswered pings before the connection is dropped and re-opened. Default 2. */
  maxMissedPongs?: number;
  reconnect?: {
    /** Default 1 000. */
    initialDelayMs?: number;
    /** Default 30 000. */
    maxDelayMs?: number;
    /** Fraction of a delay taken off at random, 0–1. Default 0.2. */
    jitter?: number;
    /** A connection up this long resets the backoff. Default 10 000. */
    stableAfterMs?: number;
  };
  /** WebSocket handshake timeout. Default 10 000. */
  connectTimeoutMs?: number;
  /** Default 10 000. */
  textAckTimeoutMs?: number;
  /** Default 60 000. */
  fileAckTimeoutMs?: number;
  /** How long a send issued while disconnected waits for the connection. Default 15 000. */
  sendWaitMs?: number;
  /** (acc_id, msg_id) keys remembered for de-duplication. Default 50 000. */
  dedupeCapacity?: number;
  /** Default 1 MiB. */
  maxFrameBytes?: number;
  /** Accounts remembered (login/ready/logout/error); past it the oldest state is forgotten. Default 1 000. */
  maxAccounts?: number;
  /** Repeated log lines of one kind (malformed frames, unknown acks, failed sends, account events) are written once per window, then counted. Default 10 000. */
  logWindowMs?: number;
  /** For tests: the jitter's random source. */
  random?: () => number;
}

/** For /api/health and the monitor. Times are ms since the epoch. */
export interface BridgeState {
  state: BridgeConnectionState;
  connected: boolean;
  url: string;
  /** When `state` was entered. */
  since: number;
  /** Connections re-established after a loss. */
  reconnects: number;
  last_error: string | null;
  /** The bridge has sent `ready` on the current connection. */
  ready: boolean;
  /** One page of the accounts (by acc_id): see accounts_total and state()'s paging. */
  accounts: Record<string, AccountState>;
  accounts_total: number;
  accounts_page: number;
  accounts_page_size: number;
  /** Accounts forgotten to stay within maxAccounts. */
  accounts_forgotten: number;
  /** Command frames written (a retry counts again). */
  sent: number;
  /** Sends acked ok. */
  acked: number;
  /** Sends that ended in a BridgeSendError. */
  send_failed: number;
  /** Sends waiting for the connection or for their ack. */
  pending_sends: number;
  /** Message events handed to the handlers (duplicates not counted). */
  received: number;
  /** Message events dropped as already seen. */
  duplicates: number;
  /** Frames skipped as malformed. */
  malformed: number;
}
