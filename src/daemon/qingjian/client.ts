/**
 * QingjianBridge: the daemon's WebSocket client of the 轻简 desktop bridge (DESIGN.md, "Qingjian bridge protocol").
 *
 * ```ts
 * const bridge = new QingjianBridge({ url: settings.qingjianUrl, logger });
 * bridge.onMessage(async (m) => { await store.recordInbound(m); engine.onMessage(m); }); // acked when it settles
 * bridge.start();                                              // connects, and reconnects forever
 * const r = await bridge.sendText({ acc_id, to_id, content }, 'TASK_1#1');   // → { msg_id, … }
 * // on BridgeSendError: err.retryable → retry later; err.inDoubt → retry with the SAME req_id
 * health.qingjian = bridge.state();
 * await bridge.stop();
 * ```
 *
 * Inbound
 * - Every event is acked (`{"type":"ack","event_id"}`), including malformed ones whose event_id can be read (a poison
 *   event is logged and dropped instead of being delivered forever).
 * - Message events are de-duplicated on (acc_id, msg_id) over the last `dedupeCapacity` keys (FIFO; the engine also
 *   de-duplicates durably). Handlers get each message once, in arrival order, as a `BridgeMessage` (a
 *   `CustomerMessage` plus msg_id, event_id, ts, chat_type, msg_type, file, extra). `is_self` messages (typed by a
 *   human on our account) are delivered too, flagged; the engine must not treat them as customer replies.
 * - At least once: a message is acked only when every handler has settled. If one throws or rejects, the message is
 *   not acked and its key is forgotten, so the bridge's re-delivery gives it another try. Handlers must therefore
 *   settle (a handler that never settles leaves the event un-acked) and be idempotent. A re-delivery that arrives
 *   while the first delivery is still in the handlers is held and acked with it.
 * - `login` / `logout` / `ready` / `error` events update per-account state (`state().accounts`) and go to
 *   `onAccountEvent` listeners. Malformed frames (not JSON, wrong types, larger than `maxFrameBytes`) are logged and
 *   skipped; the connection stays up.
 *
 * Sends
 * - `sendText` / `sendFile` write a `cmd` frame with the caller's `req_id` (stable per task attempt, e.g. `TASK_1#1`)
 *   and resolve on the bridge's ack with `ok:true`. They reject with a BridgeSendError (src/errors.ts):
 *   `rejected` (ok:false; retryable per ACK_CODES), `ack_timeout` and `connection_lost` (retryable, in doubt: retry with
 *   the same req_id), `not_connected` (issued while disconnected and the connection did not come back within
 *   `sendWaitMs`; retryable, not in doubt), `stopped`, `invalid_request` (not retryable).
 * - A second send with a req_id that is still pending returns the same promise when the payload is identical, and
 *   is refused (`invalid_request`) when it differs.
 *
 * Connection
 * - Heartbeat: `{"type":"ping","ts"}` every `heartbeatIntervalMs`; after `maxMissedPongs` unanswered pings the socket
 *   is dropped and re-opened. Reconnects forever with exponential backoff (`reconnect.initialDelayMs` doubling up to
 *   `reconnect.maxDelayMs`, minus up to `jitter` of it at random); the backoff starts over once a connection has
 *   stayed up `reconnect.stableAfterMs`.
 * - Every state change is logged through the injected logger (pino-compatible `(obj, msg)`), with `component:
 *   'qingjian'`. Lines a misbehaving bridge can repeat at will (malformed frames, acks for no send, failed sends,
 *   account events) go through a LogThrottle: one a window per kind, then a count. At most `maxAccounts` accounts
 *   are kept (accounts.ts); state() returns them a page at a time.
 * - `stop()` closes the socket cleanly, rejects pending sends (`stopped`) and ends reconnecting; it is final.
 */
import WebSocket, { type RawData } from 'ws';
import { BridgeSendError, ValidationError, type BridgeSendErrorCode } from '../../errors.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_QINGJIAN_URL,
  checkCommand,
  checkReqId,
  encodeCommand,
  encodeEventAck,
  encodePing,
  encodePong,
  isRetryableAck,
  parseInboundFrame,
  type AccountEvent,
  type BridgeCommand,
  type BridgeMessage,
  type SendAck,
  type SendFileRequest,
  type SendTextRequest,
} from './protocol.js';
import type { Logger } from '../ports.js';
import { AccountBook, DEFAULT_ACCOUNTS_PAGE_SIZE, DEFAULT_MAX_ACCOUNTS, type AccountState } from './accounts.js';
import { LogThrottle } from './log-throttle.js';

export type { AccountState } from './accounts.js';

/** pino-compatible: `logger.info({ url }, 'connected')`. */
/** pino-compatible, as every daemon service's (ports.ts). */
export type BridgeLogger = Logger;

const SILENT: BridgeLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface QingjianBridgeOptions {
  /** Default `ws://127.0.0.1:9528`. */
  url?: string;
  logger?: BridgeLogger;
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

export type BridgeConnectionState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

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

export interface SendResult {
  req_id: string;
  /** WeCom's id of the sent message, when the bridge gives one. */
  msg_id: string | null;
  code: number;
  msg: string;
  /** The ack's `data` as it came. */
  data: Record<string, unknown>;
}

export interface SendOptions {
  /** Overrides the default ack timeout for this send. */
  ackTimeoutMs?: number;
}

export type MessageHandler = (message: BridgeMessage) => void | Promise<void>;
export type AccountEventHandler = (event: AccountEvent) => void;
export type StateHandler = (state: BridgeConnectionState, detail: { since: number; last_error: string | null }) => void;

interface PendingSend {
  reqId: string;
  frame: string;
  ackTimeoutMs: number;
  phase: 'queued' | 'sent';
  timer: NodeJS.Timeout | null;
  promise: Promise<SendResult>;
  resolve: (r: SendResult) => void;
  reject: (e: BridgeSendError) => void;
}

/** Keys of messages handed to the handlers, oldest first; forgets the oldest beyond `capacity`. */
class RecentKeys {
  private readonly keys = new Set<string>();
  constructor(private readonly capacity: number) {}
  has(key: string): boolean {
    return this.keys.has(key);
  }
  add(key: string): void {
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
  }
}

function positive(value: number | undefined, fallback: number, name: string, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) throw new ValidationError(`${name} must be a number ≥ ${min}`, name);
  return value;
}

export class QingjianBridge {
  readonly url: string;
  private readonly log: BridgeLogger;
  private readonly headers: Record<string, string> | undefined;
  private readonly heartbeatIntervalMs: number;
  private readonly maxMissedPongs: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly jitter: number;
  private readonly stableAfterMs: number;
  private readonly connectTimeoutMs: number;
  private readonly textAckTimeoutMs: number;
  private readonly fileAckTimeoutMs: number;
  private readonly sendWaitMs: number;
  private readonly maxFrameBytes: number;
  private readonly random: () => number;

  private status: BridgeConnectionState = 'disconnected';
  private statusSince = Date.now();
  private started = false;
  private ws: WebSocket | null = null;
  private connectedAt = 0;
  private everConnected = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private awaitingPong = false;
  private missedPongs = 0;
  private lastError: string | null = null;
  /** Why the client itself dropped the socket (heartbeat), reported instead of the close code. */
  private dropReason: string | null = null;
  private ready = false;
  private stopPromise: Promise<void> | null = null;

  private readonly accounts: AccountBook;
  private readonly throttle: LogThrottle;
  private readonly pending = new Map<string, PendingSend>();
  private readonly seen: RecentKeys;
  /** Messages in the handlers right now → event ids to ack when they settle. */
  private readonly inHandlers = new Map<string, string[]>();

  private readonly messageHandlers = new Set<MessageHandler>();
  private readonly accountHandlers = new Set<AccountEventHandler>();
  private readonly stateHandlers = new Set<StateHandler>();

  private readonly counts = { sent: 0, acked: 0, send_failed: 0, received: 0, duplicates: 0, malformed: 0, reconnects: 0 };

  constructor(options: QingjianBridgeOptions = {}) {
    this.url = options.url ?? DEFAULT_QINGJIAN_URL;
    let parsed: URL;
    try {
      parsed = new URL(this.url);
    } catch {
      throw new ValidationError(`qingjian url "${this.url}" is not a URL (expected ws://host:port)`, 'qingjian-url');
    }
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
      throw new ValidationError(`qingjian url "${this.url}" must start with ws:// or wss://`, 'qingjian-url');
    }
    this.log = options.logger ?? SILENT;
    this.headers = options.headers;
    this.heartbeatIntervalMs = positive(options.heartbeatIntervalMs, 30_000, 'heartbeatIntervalMs');
    this.maxMissedPongs = positive(options.maxMissedPongs, 2, 'maxMissedPongs');
    this.initialDelayMs = positive(options.reconnect?.initialDelayMs, 1_000, 'reconnect.initialDelayMs');
    this.maxDelayMs = Math.max(this.initialDelayMs, positive(options.reconnect?.maxDelayMs, 30_000, 'reconnect.maxDelayMs'));
    this.jitter = Math.min(1, positive(options.reconnect?.jitter, 0.2, 'reconnect.jitter', 0));
    this.stableAfterMs = positive(options.reconnect?.stableAfterMs, 10_000, 'reconnect.stableAfterMs', 0);
    this.connectTimeoutMs = positive(options.connectTimeoutMs, 10_000, 'connectTimeoutMs');
    this.textAckTimeoutMs = positive(options.textAckTimeoutMs, 10_000, 'textAckTimeoutMs');
    this.fileAckTimeoutMs = positive(options.fileAckTimeoutMs, 60_000, 'fileAckTimeoutMs');
    this.sendWaitMs = positive(options.sendWaitMs, 15_000, 'sendWaitMs', 0);
    this.maxFrameBytes = positive(options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 'maxFrameBytes');
    this.seen = new RecentKeys(positive(options.dedupeCapacity, 50_000, 'dedupeCapacity'));
    this.random = options.random ?? Math.random;
    this.accounts = new AccountBook(positive(options.maxAccounts, DEFAULT_MAX_ACCOUNTS, 'maxAccounts'));
    this.throttle = new LogThrottle(this.log, positive(options.logWindowMs, 10_000, 'logWindowMs'));
  }

  // ───────────── lifecycle ─────────────

  /** Starts connecting (and reconnecting, forever). Returns at once: the daemon runs whether 轻简 is up or not. */
  start(): void {
    if (this.stopPromise) throw new Error('QingjianBridge: start() after stop()');
    if (this.started) return;
    this.started = true;
    this.connect();
  }

  /** Closes the socket cleanly, rejects pending sends (`stopped`), stops reconnecting. Final; idempotent. */
  stop(): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    this.stopPromise = this.shutdown();
    return this.stopPromise;
  }

  private async shutdown(): Promise<void> {
    this.throttle.flush();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopHeartbeat();
    for (const p of [...this.pending.values()]) {
      this.fail(p, 'stopped', 'the 轻简 bridge client was stopped', { retryable: true, inDoubt: p.phase === 'sent' });
    }
    const ws = this.ws;
    this.setState('stopped');
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2_000);
      ws.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      ws.close(1000, 'daemon stopping');
    });
  }

  /** Resolves when connected (at once if it is); rejects after `timeoutMs` or on stop(). */
  whenConnected(timeoutMs = 10_000): Promise<void> {
    if (this.status === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`not connected to 轻简 at ${this.url} within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onStateChange((state) => {
        if (state === 'connected' || state === 'stopped') {
          clearTimeout(timer);
          off();
          if (state === 'connected') resolve();
          else reject(new Error('the 轻简 bridge client was stopped'));
        }
      });
    });
  }

  // ───────────── listeners ─────────────

  /** Customer (and is_self) messages, de-duplicated. Returns an unsubscribe function. */
  onMessage(handler: MessageHandler): () => void {
    this.messageHandlers.add(handler);
    return () => this.messageHandlers.delete(handler);
  }

  /** login / logout / ready / error events. */
  onAccountEvent(handler: AccountEventHandler): () => void {
    this.accountHandlers.add(handler);
    return () => this.accountHandlers.delete(handler);
  }

  /** Connection state changes. */
  onStateChange(handler: StateHandler): () => void {
    this.stateHandlers.add(handler);
    return () => this.stateHandlers.delete(handler);
  }

  /** Connected now: sends go out at once. */
  get isConnected(): boolean {
    return this.status === 'connected';
  }

  /** Online accounts (for a send whose customer's account is not known yet). */
  onlineAccounts(): string[] {
    return this.accounts.online();
  }

  /** The state, with one page of the accounts (default the first 50 by acc_id). */
  state(paging: { accountsPage?: number; accountsPageSize?: number } = {}): BridgeState {
    const page = this.accounts.page(paging.accountsPage ?? 1, paging.accountsPageSize ?? DEFAULT_ACCOUNTS_PAGE_SIZE);
    return {
      state: this.status,
      connected: this.status === 'connected',
      url: this.url,
      since: this.statusSince,
      reconnects: this.counts.reconnects,
      last_error: this.lastError,
      ready: this.ready,
      accounts: page.accounts,
      accounts_total: page.total,
      accounts_page: page.page,
      accounts_page_size: page.page_size,
      accounts_forgotten: page.forgotten,
      sent: this.counts.sent,
      acked: this.counts.acked,
      send_failed: this.counts.send_failed,
      pending_sends: this.pending.size,
      received: this.counts.received,
      duplicates: this.counts.duplicates,
      malformed: this.counts.malformed,
    };
  }

  // ───────────── sends ─────────────

  sendText(request: SendTextRequest, reqId: string, options: SendOptions = {}): Promise<SendResult> {
    return this.send({ cmd: 'send_text', data: request }, reqId, options.ackTimeoutMs ?? this.textAckTimeoutMs);
  }

  sendFile(request: SendFileRequest, reqId: string, options: SendOptions = {}): Promise<SendResult> {
    return this.send({ cmd: 'send_file', data: request }, reqId, options.ackTimeoutMs ?? this.fileAckTimeoutMs);
  }

  private send(command: BridgeCommand, reqId: string, ackTimeoutMs: number): Promise<SendResult> {
    const invalid = checkReqId(reqId) ?? checkCommand(command);
    if (invalid) {
      this.counts.send_failed++;
      return Promise.reject(new BridgeSendError({ message: `${command.cmd}: ${invalid}`, code: 'invalid_request', retryable: false, reqId: String(reqId) }));
    }
    if (this.stopPromise) {
      this.counts.send_failed++;
      return Promise.reject(new BridgeSendError({ message: 'the 轻简 bridge client is stopped', code: 'stopped', retryable: true, reqId }));
    }
    const frame = encodeCommand(command, reqId);
    const existing = this.pending.get(reqId);
    if (existing) {
      if (existing.frame === frame) return existing.promise;
      this.counts.send_failed++;
      return Promise.reject(
        new BridgeSendError({ message: `req_id ${reqId} is already pending with another payload`, code: 'invalid_request', retryable: false, reqId }),
      );
    }
    let resolve!: (r: SendResult) => void;
    let reject!: (e: BridgeSendError) => void;
    const promise = new Promise<SendResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const p: PendingSend = { reqId, frame, ackTimeoutMs, phase: 'queued', timer: null, promise, resolve, reject };
    this.pending.set(reqId, p);
    if (this.status === 'connected' && this.ws) {
      this.write(this.ws, p);
    } else {
      this.log.debug({ component: 'qingjian', req_id: reqId, wait_ms: this.sendWaitMs }, '轻简 not connected: send waits for the connection');
      p.timer = setTimeout(() => {
        this.fail(p, 'not_connected', `not connected to 轻简 at ${this.url} within ${this.sendWaitMs} ms`, { retryable: true, inDoubt: false });
      }, this.sendWaitMs);
    }
    return promise;
  }

  private write(ws: WebSocket, p: PendingSend): void {
    if (p.timer) clearTimeout(p.timer);
    p.phase = 'sent';
    this.counts.sent++;
    p.timer = setTimeout(() => {
      this.fail(p, 'ack_timeout', `no ack from 轻简 within ${p.ackTimeoutMs} ms`, { retryable: true, inDoubt: true });
    }, p.ackTimeoutMs);
    // A failed write shows up as a close of the socket, which fails the send as connection_lost.
    ws.send(p.frame);
  }

  private fail(p: PendingSend, code: BridgeSendErrorCode, message: string, how: { retryable: boolean; inDoubt: boolean; bridgeCode?: number }): void {
    if (this.pending.get(p.reqId) !== p) return;
    this.pending.delete(p.reqId);
    if (p.timer) clearTimeout(p.timer);
    this.counts.send_failed++;
    const level = code === 'rejected' || code === 'stopped' ? 'info' : 'warn';
    this.throttle.log(
      level,
      `send-failed:${code}:${how.bridgeCode ?? ''}`,
      { component: 'qingjian', req_id: p.reqId, code, bridge_code: how.bridgeCode, retryable: how.retryable, in_doubt: how.inDoubt },
      `轻简 send failed: ${message}`,
    );
    p.reject(new BridgeSendError({ message, code, reqId: p.reqId, ...how }));
  }

  private onAck(ack: SendAck): void {
    const p = this.pending.get(ack.req_id);
    if (!p || p.phase !== 'sent') {
      this.throttle.log('info', 'unknown-ack', { component: 'qingjian', req_id: ack.req_id, ok: ack.ok }, '轻简 ack for no pending send (late or unknown req_id): ignored');
      return;
    }
    if (!ack.ok) {
      this.fail(p, 'rejected', `轻简 refused the send: ${ack.code} ${ack.msg}`, { retryable: isRetryableAck(ack), inDoubt: false, bridgeCode: ack.code });
      return;
    }
    this.pending.delete(p.reqId);
    if (p.timer) clearTimeout(p.timer);
    this.counts.acked++;
    this.log.debug({ component: 'qingjian', req_id: p.reqId, msg_id: ack.msg_id }, '轻简 send acked');
    p.resolve({ req_id: ack.req_id, msg_id: ack.msg_id, code: ack.code, msg: ack.msg, data: ack.data });
  }

  // ───────────── connection ─────────────

  private setState(state: BridgeConnectionState, fields: Record<string, unknown> = {}): void {
    if (this.status === state) return;
    const previous = this.status;
    this.status = state;
    this.statusSince = Date.now();
    const obj = { component: 'qingjian', url: this.url, state, previous, ...fields };
    if (state === 'disconnected') {
      this.log.warn({ ...obj, last_error: this.lastError }, `轻简 bridge disconnected${typeof fields.retry_in_ms === 'number' ? `: reconnect in ${fields.retry_in_ms} ms` : ''}`);
    }
    else this.log.info(obj, `轻简 bridge ${state}`);
    for (const h of this.stateHandlers) {
      try {
        h(state, { since: this.statusSince, last_error: this.lastError });
      } catch (err) {
        this.log.error({ component: 'qingjian', err }, 'state listener threw');
      }
    }
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.stopPromise) return;
    this.setState('connecting', { attempt: this.attempt + 1 });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url, {
        handshakeTimeout: this.connectTimeoutMs,
        // The hard limit of ws closes the socket; frames between maxFrameBytes and it are skipped, not fatal.
        maxPayload: Math.max(16 * 1024 * 1024, this.maxFrameBytes * 4),
        perMessageDeflate: false,
        ...(this.headers ? { headers: this.headers } : {}),
      });
    } catch (err) {
      this.lastError = (err as Error).message;
      this.scheduleReconnect(false);
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.on('open', () => {
      if (this.ws !== ws) return;
      opened = true;
      this.connectedAt = Date.now();
      if (this.everConnected) this.counts.reconnects++;
      this.everConnected = true;
      this.setState('connected', { reconnects: this.counts.reconnects });
      this.startHeartbeat(ws);
      for (const p of [...this.pending.values()]) if (p.phase === 'queued') this.write(ws, p);
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws === ws) this.onFrame(ws, data, isBinary);
    });
    ws.on('error', (err) => {
      this.lastError = err.message;
      this.log.debug({ component: 'qingjian', err: err.message }, '轻简 socket error');
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onClosed(opened, code, reason.toString());
    });
  }

  private onClosed(opened: boolean, code: number, reason: string): void {
    this.stopHeartbeat();
    this.ready = false;
    if (opened) this.lastError = this.dropReason ?? `closed: ${code}${reason ? ` ${reason}` : ''}`;
    this.dropReason = null;
    for (const p of [...this.pending.values()]) {
      if (p.phase === 'sent') {
        this.fail(p, 'connection_lost', 'the connection to 轻简 dropped before the ack (in doubt: retry with the same req_id)', {
          retryable: true,
          inDoubt: true,
        });
      }
    }
    if (this.stopPromise) return;
    if (opened && Date.now() - this.connectedAt >= this.stableAfterMs) this.attempt = 0;
    this.scheduleReconnect(opened, code);
  }

  private scheduleReconnect(wasOpen: boolean, code?: number): void {
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.min(this.attempt, 30));
    const delay = Math.max(1, Math.round(base * (1 - this.jitter * this.random())));
    this.attempt++;
    this.setState('disconnected', { was_open: wasOpen, close_code: code, retry_in_ms: delay, attempt: this.attempt });
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private startHeartbeat(ws: WebSocket): void {
    this.awaitingPong = false;
    this.missedPongs = 0;
    this.heartbeatTimer = setInterval(() => {
      if (this.ws !== ws || ws.readyState !== WebSocket.OPEN) return;
      if (this.awaitingPong) {
        this.missedPongs++;
        if (this.missedPongs >= this.maxMissedPongs) {
          this.dropReason = `heartbeat: ${this.missedPongs} pongs missed`;
          this.log.warn({ component: 'qingjian', url: this.url, missed: this.missedPongs }, '轻简 heartbeat lost: reconnecting');
          ws.terminate();
          return;
        }
      }
      this.awaitingPong = true;
      ws.send(encodePing(Date.now()));
    }, this.heartbeatIntervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  // ───────────── inbound ─────────────

  private onFrame(ws: WebSocket, data: RawData, isBinary: boolean): void {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (buf.length > this.maxFrameBytes) {
      this.malformed(ws, `frame too large (${buf.length} bytes > ${this.maxFrameBytes})`, null, '');
      return;
    }
    const text = buf.toString('utf8');
    const parsed = parseInboundFrame(text, { maxBytes: this.maxFrameBytes });
    if (!parsed.ok) {
      this.malformed(ws, isBinary ? `${parsed.reason} (binary frame)` : parsed.reason, parsed.event_id, text);
      return;
    }
    const frame = parsed.frame;
    switch (frame.type) {
      case 'message':
        this.onMessageEvent(ws, frame.message);
        return;
      case 'account':
        this.onAccount(frame.account);
        if (frame.account.event_id) this.ackEvent(ws, frame.account.event_id);
        return;
      case 'event':
        this.log.debug({ component: 'qingjian', event: frame.event, event_id: frame.event_id }, '轻简 event ignored');
        if (frame.event_id) this.ackEvent(ws, frame.event_id);
        return;
      case 'ack':
        this.onAck(frame.ack);
        return;
      case 'pong':
        this.awaitingPong = false;
        this.missedPongs = 0;
        return;
      case 'ping':
        if (ws.readyState === WebSocket.OPEN) ws.send(encodePong(frame.ts));
        return;
      case 'unknown':
        this.log.debug({ component: 'qingjian', frame_type: frame.frame_type }, '轻简 frame of unknown type ignored');
        return;
    }
  }

  private malformed(ws: WebSocket, reason: string, eventId: string | null, text: string): void {
    this.counts.malformed++;
    // One window per kind of fault (numbers aside), so different faults each show and a flood of one is counted.
    this.throttle.log(
      'warn',
      `malformed:${reason.replace(/\d+/g, '#').slice(0, 100)}`,
      { component: 'qingjian', reason, event_id: eventId, preview: text.slice(0, 200) },
      `轻简 frame skipped: ${reason}${eventId ? ' (acked, so it is not delivered again)' : ''}`,
    );
    if (eventId) this.ackEvent(ws, eventId);
  }

  private ackEvent(ws: WebSocket | null, eventId: string): void {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(encodeEventAck(eventId));
  }

  private onMessageEvent(ws: WebSocket, m: BridgeMessage): void {
    const key = `${m.acc_id}\u0000${m.msg_id}`;
    if (this.seen.has(key)) {
      this.counts.duplicates++;
      this.log.debug({ component: 'qingjian', acc_id: m.acc_id, msg_id: m.msg_id, event_id: m.event_id }, '轻简 duplicate message: acked again, not delivered');
      if (m.event_id) this.ackEvent(ws, m.event_id);
      return;
    }
    const held = this.inHandlers.get(key);
    if (held) {
      this.counts.duplicates++;
      if (m.event_id && !held.includes(m.event_id)) held.push(m.event_id);
      return;
    }
    const eventIds = m.event_id ? [m.event_id] : [];
    this.inHandlers.set(key, eventIds);
    this.counts.received++;
    void this.dispatch(m).then((ok) => {
      this.inHandlers.delete(key);
      if (!ok) return;
      this.seen.add(key);
      for (const id of eventIds) this.ackEvent(this.ws, id);
    });
  }

  /** Calls every handler in turn (synchronously, so they see messages in arrival order); true when all settled well. */
  private async dispatch(m: BridgeMessage): Promise<boolean> {
    const results: unknown[] = [];
    let ok = true;
    for (const h of this.messageHandlers) {
      try {
        results.push(h(m));
      } catch (err) {
        ok = false;
        this.log.error({ component: 'qingjian', err, msg_id: m.msg_id }, 'message handler threw');
      }
    }
    for (const r of await Promise.allSettled(results)) {
      if (r.status === 'rejected') {
        ok = false;
        this.log.error({ component: 'qingjian', err: r.reason, msg_id: m.msg_id }, 'message handler failed');
      }
    }
    if (!ok) {
      this.log.warn({ component: 'qingjian', acc_id: m.acc_id, msg_id: m.msg_id, event_id: m.event_id }, '轻简 message not acked (a handler failed): the bridge will deliver it again');
    }
    return ok;
  }

  private accountsOverflow(): void {
    this.throttle.log('warn', 'accounts-overflow', { component: 'qingjian', kept: this.accounts.size }, `轻简 reported more accounts than the ${this.accounts.size} kept: the oldest are forgotten`);
  }

  private onAccount(e: AccountEvent): void {
    const now = Date.now();
    const mark = (id: string, status: AccountState['status']) => {
      const a = this.accounts.get(id);
      if (a && a.status === status) return;
      if (this.accounts.set({ acc_id: id, status, since: now, last_error: a?.last_error ?? null })) this.accountsOverflow();
    };
    const log = { component: 'qingjian', event: e.event, acc_id: e.acc_id ?? undefined };
    switch (e.event) {
      case 'login':
        if (e.acc_id) mark(e.acc_id, 'online');
        this.throttle.log('info', 'account:login', log, `轻简 account ${e.acc_id ?? '?'} logged in`);
        break;
      case 'logout':
        if (e.acc_id) mark(e.acc_id, 'offline');
        this.throttle.log('warn', 'account:logout', log, `轻简 account ${e.acc_id ?? '?'} logged out`);
        break;
      case 'ready':
        this.ready = true;
        for (const id of e.acc_id ? [e.acc_id, ...e.acc_ids] : e.acc_ids) mark(id, 'online');
        this.throttle.log('info', 'account:ready', { ...log, accounts: e.acc_ids.slice(0, 20), account_count: e.acc_ids.length }, '轻简 bridge ready');
        break;
      case 'error': {
        const text = `${e.code ?? ''} ${e.message ?? 'error'}`.trim();
        this.lastError = text;
        if (e.acc_id) {
          const a = this.accounts.get(e.acc_id) ?? { acc_id: e.acc_id, status: 'online' as const, since: now, last_error: null };
          if (this.accounts.set({ ...a, last_error: text })) this.accountsOverflow();
        }
        this.throttle.log('warn', `error:${e.code ?? ''}`, { ...log, code: e.code, message: e.message }, `轻简 error: ${text}`);
        break;
      }
    }
    for (const h of this.accountHandlers) {
      try {
        h(e);
      } catch (err) {
        this.log.error({ component: 'qingjian', err }, 'account listener threw');
      }
    }
  }
}
