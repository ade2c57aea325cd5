/**
 * The socket to the 轻简 bridge: connect, reconnect forever with exponential backoff and jitter, the heartbeat, and
 * the connection state with its listeners. It knows nothing of frames beyond ping: what arrives goes to `onFrame`,
 * and the facade (client.ts) routes it.
 *
 * - Heartbeat: `{"type":"ping","ts"}` every `heartbeatIntervalMs`; after `maxMissedPongs` unanswered pings the socket
 *   is dropped and re-opened. The facade reports pongs with `pongReceived()`.
 * - Backoff: `initialDelayMs` doubling up to `maxDelayMs`, minus up to `jitter` of it at random; it starts over once a
 *   connection has stayed up `stableAfterMs`.
 * - Every state change is logged (`component: 'qingjian'`) and goes to the state listeners.
 */
import WebSocket, { type RawData } from 'ws';
import type { Logger } from '../ports.js';
import { encodePing } from './protocol.js';

export type BridgeConnectionState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export type StateHandler = (state: BridgeConnectionState, detail: { since: number; last_error: string | null }) => void;

export interface ConnectionSettings {
  url: string;
  logger: Logger;
  headers: Record<string, string> | undefined;
  heartbeatIntervalMs: number;
  maxMissedPongs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  jitter: number;
  stableAfterMs: number;
  connectTimeoutMs: number;
  maxFrameBytes: number;
  random: () => number;
}

/** What the facade does when the socket opens, delivers a frame or closes. */
export interface ConnectionHooks {
  /** After the state became `connected` and the heartbeat started. */
  onOpen(): void;
  onFrame(data: RawData, isBinary: boolean): void;
  /** After the socket closed (the heartbeat is stopped, last_error set), before a reconnect is scheduled. */
  onClosed(): void;
}

export class BridgeConnection {
  private status: BridgeConnectionState = 'disconnected';
  private statusSince = Date.now();
  private ws: WebSocket | null = null;
  private connectedAt = 0;
  private everConnected = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private awaitingPong = false;
  private missedPongs = 0;
  /** Why the client itself dropped the socket (heartbeat), reported instead of the close code. */
  private dropReason: string | null = null;
  private halted = false;
  private reconnectCount = 0;
  private readonly stateHandlers = new Set<StateHandler>();
  /** The last thing that went wrong: a socket error, a close, or an `error` event the facade reports. */
  lastError: string | null = null;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly hooks: ConnectionHooks,
  ) {}

  get state(): BridgeConnectionState {
    return this.status;
  }

  get since(): number {
    return this.statusSince;
  }

  /** Connections re-established after a loss. */
  get reconnects(): number {
    return this.reconnectCount;
  }

  /** Connected now: a command written goes out at once. */
  get isOpen(): boolean {
    return this.status === 'connected' && this.ws !== null;
  }

  onStateChange(handler: StateHandler): () => void {
    this.stateHandlers.add(handler);
    return () => this.stateHandlers.delete(handler);
  }

  /** Opens the first connection; later ones follow on their own. */
  open(): void {
    this.connect();
  }

  /** Writes on the current socket; a failed write shows up as a close. */
  write(frame: string): void {
    this.ws?.send(frame);
  }

  /** Writes when the socket is open, else drops the frame (an event ack, a pong: the bridge asks again). */
  writeIfOpen(frame: string): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  pongReceived(): void {
    this.awaitingPong = false;
    this.missedPongs = 0;
  }

  /** Ends reconnecting and the heartbeat; the socket stays until close(). */
  halt(): void {
    this.halted = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopHeartbeat();
  }

  /** Enters `stopped` and closes the socket cleanly (forced after 2 s). Call halt() first. */
  async close(): Promise<void> {
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

  private setState(state: BridgeConnectionState, fields: Record<string, unknown> = {}): void {
    if (this.status === state) return;
    const previous = this.status;
    this.status = state;
    this.statusSince = Date.now();
    const log = this.settings.logger;
    const obj = { component: 'qingjian', url: this.settings.url, state, previous, ...fields };
    if (state === 'disconnected') {
      log.warn(
        { ...obj, last_error: this.lastError },
        `轻简 bridge disconnected${typeof fields.retry_in_ms === 'number' ? `: reconnect in ${fields.retry_in_ms} ms` : ''}`,
      );
    } else log.info(obj, `轻简 bridge ${state}`);
    for (const h of this.stateHandlers) {
      try {
        h(state, { since: this.statusSince, last_error: this.lastError });
      } catch (err) {
        log.error({ component: 'qingjian', err }, 'state listener threw');
      }
    }
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.halted) return;
    const s = this.settings;
    this.setState('connecting', { attempt: this.attempt + 1 });
    let ws: WebSocket;
    try {
      ws = new WebSocket(s.url, {
        handshakeTimeout: s.connectTimeoutMs,
        // The hard limit of ws closes the socket; frames between maxFrameBytes and it are skipped, not fatal.
        maxPayload: Math.max(16 * 1024 * 1024, s.maxFrameBytes * 4),
        perMessageDeflate: false,
        ...(s.headers ? { headers: s.headers } : {}),
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
      if (this.everConnected) this.reconnectCount++;
      this.everConnected = true;
      this.setState('connected', { reconnects: this.reconnectCount });
      this.startHeartbeat(ws);
      this.hooks.onOpen();
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws === ws) this.hooks.onFrame(data, isBinary);
    });
    ws.on('error', (err) => {
      this.lastError = err.message;
      s.logger.debug({ component: 'qingjian', err: err.message }, '轻简 socket error');
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onClosed(opened, code, reason.toString());
    });
  }

  private onClosed(opened: boolean, code: number, reason: string): void {
    this.stopHeartbeat();
    if (opened) this.lastError = this.dropReason ?? `closed: ${code}${reason ? ` ${reason}` : ''}`;
    this.dropReason = null;
    this.hooks.onClosed();
    if (this.halted) return;
    if (opened && Date.now() - this.connectedAt >= this.settings.stableAfterMs) this.attempt = 0;
    this.scheduleReconnect(opened, code);
  }

  private scheduleReconnect(wasOpen: boolean, code?: number): void {
    const s = this.settings;
    const base = Math.min(s.maxDelayMs, s.initialDelayMs * 2 ** Math.min(this.attempt, 30));
    const delay = Math.max(1, Math.round(base * (1 - s.jitter * s.random())));
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
        if (this.missedPongs >= this.settings.maxMissedPongs) {
          this.dropReason = `heartbeat: ${this.missedPongs} pongs missed`;
          this.settings.logger.warn(
            { component: 'qingjian', url: this.settings.url, missed: this.missedPongs },
            '轻简 heartbeat lost: reconnecting',
          );
          ws.terminate();
          return;
        }
      }
      this.awaitingPong = true;
      ws.send(encodePing(Date.now()));
    }, this.settings.heartbeatIntervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }
}
