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
 *
 * Parts: this facade reads the options and routes frames; connection.ts holds the socket (reconnect, heartbeat, state),
 * request-tracker.ts the sends by req_id (acks, timeouts, in doubt on a drop, repeats), message-delivery.ts the
 * de-duplication and at-least-once hand-off of messages, account-events.ts the per-account state.
 */
import type { RawData } from 'ws';
import { BridgeSendError, ValidationError } from '../../errors.js';
import type { FileCommand, Logger, TextCommand } from '../ports.js';
import { AccountEvents, type AccountEventHandler } from './account-events.js';
import { AccountBook, DEFAULT_ACCOUNTS_PAGE_SIZE, DEFAULT_MAX_ACCOUNTS } from './accounts.js';
import type { BridgeState, QingjianBridgeOptions } from './bridge-types.js';
import { BridgeConnection, type StateHandler } from './connection.js';
import { checkCommand, checkReqId, encodeCommand, encodeEventAck, encodePong, fileCommand, textCommand } from './encode-frame.js';
import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_QINGJIAN_URL, type BridgeCommand } from './frames.js';
import { LogThrottle } from './log-throttle.js';
import { MessageDelivery, type MessageHandler } from './message-delivery.js';
import { parseInboundFrame } from './parse-frame.js';
import { RequestTracker, type SendResult } from './request-tracker.js';

export type { AccountState } from './accounts.js';
export type { AccountEventHandler } from './account-events.js';
export type { BridgeConnectionState, StateHandler } from './connection.js';
export type { MessageHandler } from './message-delivery.js';
export type { SendResult } from './request-tracker.js';
export type { BridgeState, QingjianBridgeOptions } from './bridge-types.js';

/** pino-compatible, as every daemon service's (ports.ts). */
export type BridgeLogger = Logger;

const SILENT: BridgeLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface SendOptions {
  /** Overrides the default ack timeout for this send. */
  ackTimeoutMs?: number;
}

function positive(value: number | undefined, fallback: number, name: string, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) throw new ValidationError(`${name} must be a number ≥ ${min}`, name);
  return value;
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(`qingjian url "${url}" is not a URL (expected ws://host:port)`, 'qingjian-url');
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new ValidationError(`qingjian url "${url}" must start with ws:// or wss://`, 'qingjian-url');
  }
}

export class QingjianBridge {
  readonly url: string;
  private readonly log: BridgeLogger;
  private readonly textAckTimeoutMs: number;
  private readonly fileAckTimeoutMs: number;
  private readonly maxFrameBytes: number;
  private started = false;
  private stopPromise: Promise<void> | null = null;
  private malformedCount = 0;

  private readonly throttle: LogThrottle;
  private readonly accounts: AccountBook;
  private readonly connection: BridgeConnection;
  private readonly requests: RequestTracker;
  private readonly messages: MessageDelivery;
  private readonly accountEvents: AccountEvents;

  constructor(options: QingjianBridgeOptions = {}) {
    this.url = options.url ?? DEFAULT_QINGJIAN_URL;
    checkUrl(this.url);
    const log = (this.log = options.logger ?? SILENT);
    this.textAckTimeoutMs = positive(options.textAckTimeoutMs, 10_000, 'textAckTimeoutMs');
    this.fileAckTimeoutMs = positive(options.fileAckTimeoutMs, 60_000, 'fileAckTimeoutMs');
    this.maxFrameBytes = positive(options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 'maxFrameBytes');
    const initialDelayMs = positive(options.reconnect?.initialDelayMs, 1_000, 'reconnect.initialDelayMs');
    this.connection = new BridgeConnection(
      {
        url: this.url,
        logger: log,
        headers: options.headers,
        heartbeatIntervalMs: positive(options.heartbeatIntervalMs, 30_000, 'heartbeatIntervalMs'),
        maxMissedPongs: positive(options.maxMissedPongs, 2, 'maxMissedPongs'),
        initialDelayMs,
        maxDelayMs: Math.max(initialDelayMs, positive(options.reconnect?.maxDelayMs, 30_000, 'reconnect.maxDelayMs')),
        jitter: Math.min(1, positive(options.reconnect?.jitter, 0.2, 'reconnect.jitter', 0)),
        stableAfterMs: positive(options.reconnect?.stableAfterMs, 10_000, 'reconnect.stableAfterMs', 0),
        connectTimeoutMs: positive(options.connectTimeoutMs, 10_000, 'connectTimeoutMs'),
        maxFrameBytes: this.maxFrameBytes,
        random: options.random ?? Math.random,
      },
      {
        onOpen: () => this.requests.connected(),
        onFrame: (data, isBinary) => this.onFrame(data, isBinary),
        onClosed: () => {
          this.accountEvents.ready = false;
          this.requests.connectionLost();
        },
      },
    );
    const sendWaitMs = positive(options.sendWaitMs, 15_000, 'sendWaitMs', 0);
    const dedupeCapacity = positive(options.dedupeCapacity, 50_000, 'dedupeCapacity');
    this.accounts = new AccountBook(positive(options.maxAccounts, DEFAULT_MAX_ACCOUNTS, 'maxAccounts'));
    this.throttle = new LogThrottle(log, positive(options.logWindowMs, 10_000, 'logWindowMs'));
    this.requests = new RequestTracker(this.connection, { url: this.url, sendWaitMs, logger: log, throttle: this.throttle });
    this.messages = new MessageDelivery(dedupeCapacity, log, (eventId) => this.ackEvent(eventId));
    this.accountEvents = new AccountEvents(this.accounts, this.throttle, log, (text) => {
      this.connection.lastError = text;
    });
  }

  // ───────────── lifecycle ─────────────

  /** Starts connecting (and reconnecting, forever). Returns at once: the daemon runs whether 轻简 is up or not. */
  start(): void {
    if (this.stopPromise) throw new Error('QingjianBridge: start() after stop()');
    if (this.started) return;
    this.started = true;
    this.connection.open();
  }

  /** Closes the socket cleanly, rejects pending sends (`stopped`), stops reconnecting. Final; idempotent. */
  stop(): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    this.throttle.flush();
    this.connection.halt();
    this.requests.stopAll();
    this.stopPromise = this.connection.close();
    return this.stopPromise;
  }

  /** Resolves when connected (at once if it is); rejects after `timeoutMs` or on stop(). */
  whenConnected(timeoutMs = 10_000): Promise<void> {
    if (this.connection.state === 'connected') return Promise.resolve();
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
    return this.messages.onMessage(handler);
  }

  /** login / logout / ready / error events. */
  onAccountEvent(handler: AccountEventHandler): () => void {
    return this.accountEvents.onAccountEvent(handler);
  }

  /** Connection state changes. */
  onStateChange(handler: StateHandler): () => void {
    return this.connection.onStateChange(handler);
  }

  /** Connected now: sends go out at once. */
  get isConnected(): boolean {
    return this.connection.state === 'connected';
  }

  /** Online accounts (for a send whose customer's account is not known yet). */
  onlineAccounts(): string[] {
    return this.accounts.online();
  }

  /** The state, with one page of the accounts (default the first 50 by acc_id). */
  state(paging: { accountsPage?: number; accountsPageSize?: number } = {}): BridgeState {
    const page = this.accounts.page(paging.accountsPage ?? 1, paging.accountsPageSize ?? DEFAULT_ACCOUNTS_PAGE_SIZE);
    const c = this.connection;
    return {
      state: c.state,
      connected: c.state === 'connected',
      url: this.url,
      since: c.since,
      reconnects: c.reconnects,
      last_error: c.lastError,
      ready: this.accountEvents.ready,
      accounts: page.accounts,
      accounts_total: page.total,
      accounts_page: page.page,
      accounts_page_size: page.page_size,
      accounts_forgotten: page.forgotten,
      sent: this.requests.counts.sent,
      acked: this.requests.counts.acked,
      send_failed: this.requests.counts.send_failed,
      pending_sends: this.requests.size,
      received: this.messages.counts.received,
      duplicates: this.messages.counts.duplicates,
      malformed: this.malformedCount,
    };
  }

  // ───────────── sends ─────────────

  sendText(command: TextCommand, reqId: string, options: SendOptions = {}): Promise<SendResult> {
    return this.send(textCommand(command), reqId, options.ackTimeoutMs ?? this.textAckTimeoutMs);
  }

  sendFile(command: FileCommand, reqId: string, options: SendOptions = {}): Promise<SendResult> {
    return this.send(fileCommand(command), reqId, options.ackTimeoutMs ?? this.fileAckTimeoutMs);
  }

  private send(command: BridgeCommand, reqId: string, ackTimeoutMs: number): Promise<SendResult> {
    const invalid = checkReqId(reqId) ?? checkCommand(command);
    if (invalid) {
      return this.requests.refuse(
        new BridgeSendError({ message: `${command.cmd}: ${invalid}`, code: 'invalid_request', retryable: false, reqId: String(reqId) }),
      );
    }
    if (this.stopPromise) {
      return this.requests.refuse(
        new BridgeSendError({ message: 'the 轻简 bridge client is stopped', code: 'stopped', retryable: true, reqId }),
      );
    }
    return this.requests.send(reqId, encodeCommand(command, reqId), ackTimeoutMs);
  }

  // ───────────── inbound ─────────────

  private onFrame(data: RawData, isBinary: boolean): void {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (buf.length > this.maxFrameBytes) {
      this.malformed(`frame too large (${buf.length} bytes > ${this.maxFrameBytes})`, null, '');
      return;
    }
    const text = buf.toString('utf8');
    const parsed = parseInboundFrame(text, { maxBytes: this.maxFrameBytes });
    if (!parsed.ok) {
      this.malformed(isBinary ? `${parsed.reason} (binary frame)` : parsed.reason, parsed.event_id, text);
      return;
    }
    const frame = parsed.frame;
    switch (frame.type) {
      case 'message':
        this.messages.deliver(frame.message);
        return;
      case 'account':
        this.accountEvents.apply(frame.account);
        if (frame.account.event_id) this.ackEvent(frame.account.event_id);
        return;
      case 'event':
        this.log.debug({ component: 'qingjian', event: frame.event, event_id: frame.event_id }, '轻简 event ignored');
        if (frame.event_id) this.ackEvent(frame.event_id);
        return;
      case 'ack':
        this.requests.onAck(frame.ack);
        return;
      case 'pong':
        this.connection.pongReceived();
        return;
      case 'ping':
        this.connection.writeIfOpen(encodePong(frame.ts));
        return;
      case 'unknown':
        this.log.debug({ component: 'qingjian', frame_type: frame.frame_type }, '轻简 frame of unknown type ignored');
        return;
    }
  }

  private malformed(reason: string, eventId: string | null, text: string): void {
    this.malformedCount++;
    // One window per kind of fault (numbers aside), so different faults each show and a flood of one is counted.
    this.throttle.log(
      'warn',
      `malformed:${reason.replace(/\d+/g, '#').slice(0, 100)}`,
      { component: 'qingjian', reason, event_id: eventId, preview: text.slice(0, 200) },
      `轻简 frame skipped: ${reason}${eventId ? ' (acked, so it is not delivered again)' : ''}`,
    );
    if (eventId) this.ackEvent(eventId);
  }

  private ackEvent(eventId: string): void {
    this.connection.writeIfOpen(encodeEventAck(eventId));
  }
}
