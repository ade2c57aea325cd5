/**
 * A simulator of the 轻简 (Qingjian) desktop bridge: the WebSocket server side of DESIGN.md's "Qingjian bridge
 * protocol", for tests, demos and load. `aics sim qingjian` wraps it; tests start it in-process on port 0.
 *
 * ```ts
 * const sim = await QingjianSimulator.start({ port: 0, redeliverMs: 200 });
 * // … point a QingjianBridge at sim.url …
 * await sim.waitForClient();
 * const { event_id } = sim.pushMessage({ from_id: 'customer_123', from_name: '小明', content: '好的谢谢' });
 * await sim.waitForAck(event_id);
 * const [cmd] = await sim.nextCommands(1);             // what the daemon sent, with the result it got
 * sim.counters();                                       // messages_pushed, sends_delivered, duplicates, …
 * sim.configure({ dropAcks: true });                    // faults can change at run time
 * sim.dropConnections();
 * await sim.stop();
 * ```
 *
 * What it does, deliberately like a bridge that can be trusted only so far:
 * - Frames are written here literally, as DESIGN.md shows them (not with the daemon's protocol module), so a test
 *   against the simulator checks the daemon's parser rather than agreeing with it.
 * - On every connection it announces its account (`login`, then `ready`), then delivers every event not yet acked.
 * - Pushed events go to every connected client and are delivered again every `redeliverMs` until one acks them.
 * - Every `cmd` is recorded and acked `ok:true` with a generated msg_id. Results are cached by req_id: a repeated
 *   req_id gets the first result again and counts as a duplicate, not as a second delivery. Failed sends are not
 *   cached (nothing was sent, so a repeat is a new try).
 * - Faults: `failEvery` (every Nth new send fails), `failRate` (a fraction fails), both with `failCode`;
 *   `ackDelayMs`; `dropAcks` (never ack); `dropEvery` (on every Nth new send, record it as delivered and drop the
 *   connection before the ack: an in-doubt send the daemon must repeat with the same req_id);
 *   `answerPings: false` (a bridge that hangs).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { ValidationError } from '../errors.js';

export const DEFAULT_SIM_PORT = 9528;
export const DEFAULT_SIM_ACC_ID = '1688000001';

export interface SimFaults {
  /** Deliver an un-acked event again after this long; 0 = never. Default 5 000. */
  redeliverMs: number;
  /** Delay before each ack of a command. Default 0. */
  ackDelayMs: number;
  /** Never ack commands (they are still recorded and delivered). */
  dropAcks: boolean;
  /** Fraction (0–1) of new sends answered ok:false. */
  failRate: number;
  /** Every Nth new send is answered ok:false; 0 = never. */
  failEvery: number;
  /** The code of injected failures; only 4000–4004 are final, any other code is retried (protocol.ts ACK_CODES). Default 5000. */
  failCode: number;
  failMessage: string;
  /** On every Nth new send, drop the connection after recording it and before its ack; 0 = never. */
  dropEvery: number;
  /** Answer pings with pongs. Default true. */
  answerPings: boolean;
}

export interface QingjianSimOptions extends Partial<SimFaults> {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 9528; 0 picks a free port (see `port` / `url`). */
  port?: number;
  /** Our WeCom account that customers talk to. Default 1688000001. */
  accId?: string;
  /** Send `login` and `ready` on each connection. Default true. */
  announce?: boolean;
  /** Random source of failRate, for reproducible runs. */
  random?: () => number;
}

/** A customer's message to push; `acc_id` defaults to the simulator's account. */
export interface SimMessageInput {
  from_id: string;
  from_name?: string;
  content: string;
  acc_id?: string;
  /** Typed on our own account (a human operator); `from_id` stays the customer of the conversation. */
  is_self?: boolean;
  msg_type?: string;
  chat_type?: string;
  file?: { name?: string; url?: string; path?: string; size?: number };
  /** Normally generated; give one to push the same message twice under different events. */
  msg_id?: string;
  event_id?: string;
}

export interface SimPushed {
  event_id: string;
  /** For message events. */
  msg_id?: string;
}

export interface SimAckResult {
  ok: boolean;
  code: number;
  msg: string;
  msg_id: string | null;
}

export interface ReceivedCommand {
  /** 1-based, in arrival order. */
  seq: number;
  /** ms since the epoch. */
  at: number;
  cmd: string;
  req_id: string;
  data: Record<string, unknown>;
  /** A req_id already delivered: answered with the cached result, not sent again. */
  duplicate: boolean;
  /** The result the daemon was (or would have been) given. */
  result: SimAckResult;
  /** The failure was injected (failEvery / failRate), not caused by the command. */
  injected: boolean;
  /** What became of the ack. */
  ack: 'sent' | 'delayed' | 'dropped' | 'connection_dropped';
}

export interface SimCounters {
  /** Connections accepted in all. */
  connections: number;
  /** Connections open now. */
  clients: number;
  /** Connections dropped on purpose (dropEvery, dropConnections). */
  drops: number;
  messages_pushed: number;
  messages_acked: number;
  /** All events, login/ready included. */
  events_pushed: number;
  events_acked: number;
  /** Deliveries of an event after its first. */
  redeliveries: number;
  /** Command frames received, repeats included. */
  sends_received: number;
  /** Sends carried out: ok, first time for their req_id. */
  sends_delivered: number;
  /** Repeats of a req_id already delivered. */
  duplicates: number;
  failures_injected: number;
  /** Commands refused as unusable (missing fields, unknown cmd). */
  invalid_commands: number;
  acks_dropped: number;
  pings: number;
  /** Frames from clients that were not understood. */
  malformed: number;
}

export interface SimSummary extends SimCounters {
  url: string;
  commands: Array<Pick<ReceivedCommand, 'seq' | 'cmd' | 'req_id' | 'duplicate' | 'ack'> & { to_id: unknown; content?: unknown; file_url?: unknown; file_path?: unknown; ok: boolean; code: number }>;
}

export type ClientNotice = { kind: 'connected' | 'disconnected'; remote: string; clients: number };

interface TrackedEvent {
  frame: string;
  isMessage: boolean;
  acked: boolean;
  /** Announcements are sent per connection and not delivered again. */
  redeliver: boolean;
  deliveries: number;
  timer: NodeJS.Timeout | null;
}

interface Waiter {
  check: () => boolean;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
}

function withTimeout(timeoutMs: number): boolean {
  return Number.isFinite(timeoutMs) && timeoutMs > 0;
}

export class QingjianSimulator {
  readonly accId: string;
  private readonly faults: SimFaults;
  private readonly announce: boolean;
  private readonly random: () => number;
  private readonly run = randomBytes(3).toString('hex');
  private seq = 0;
  private readonly clients = new Set<WebSocket>();
  private readonly events = new Map<string, TrackedEvent>();
  private readonly results = new Map<string, SimAckResult>();
  private readonly log: ReceivedCommand[] = [];
  private cursor = 0;
  private newSends = 0;
  private readonly waiters = new Set<Waiter>();
  private readonly ackTimers = new Set<NodeJS.Timeout>();
  private readonly commandListeners = new Set<(c: ReceivedCommand) => void>();
  private readonly clientListeners = new Set<(n: ClientNotice) => void>();
  private stopped = false;
  private readonly count: Omit<SimCounters, 'clients'> = {
    connections: 0,
    drops: 0,
    messages_pushed: 0,
    messages_acked: 0,
    events_pushed: 0,
    events_acked: 0,
    redeliveries: 0,
    sends_received: 0,
    sends_delivered: 0,
    duplicates: 0,
    failures_injected: 0,
    invalid_commands: 0,
    acks_dropped: 0,
    pings: 0,
    malformed: 0,
  };

  private constructor(
    private readonly wss: WebSocketServer,
    readonly host: string,
    readonly port: number,
    options: QingjianSimOptions,
  ) {
    this.accId = options.accId ?? DEFAULT_SIM_ACC_ID;
    this.announce = options.announce ?? true;
    this.random = options.random ?? Math.random;
    this.faults = {
      redeliverMs: 5_000,
      ackDelayMs: 0,
      dropAcks: false,
      failRate: 0,
      failEvery: 0,
      failCode: 5000,
      failMessage: 'simulated failure',
      dropEvery: 0,
      answerPings: true,
    };
    this.configure(options);
    wss.on('connection', (ws, req) => this.onConnection(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`));
  }

  /** Listens on host:port (port 0: a free one). Rejects with a ValidationError when the port is taken. */
  static async start(options: QingjianSimOptions = {}): Promise<QingjianSimulator> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? DEFAULT_SIM_PORT;
    const wss = new WebSocketServer({ host, port, maxPayload: 16 * 1024 * 1024, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', (err: NodeJS.ErrnoException) => {
        wss.close();
        if (err.code === 'EADDRINUSE') reject(new ValidationError(`port ${port} on ${host} is already in use (try --port 0 for a free one)`, 'port'));
        else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new ValidationError(`cannot listen on ${host}: ${err.message}`, 'host'));
        else reject(err);
      });
    });
    const address = wss.address() as AddressInfo;
    return new QingjianSimulator(wss, host, address.port, options);
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `ws://${host}:${this.port}`;
  }

  /** Changes faults at run time. */
  configure(patch: Partial<SimFaults>): void {
    for (const key of Object.keys(this.faults) as (keyof SimFaults)[]) {
      const value = patch[key];
      if (value !== undefined) (this.faults as unknown as Record<string, unknown>)[key] = value;
    }
    const f = this.faults;
    if (!(f.failRate >= 0 && f.failRate <= 1)) throw new ValidationError('failRate must be between 0 and 1', 'fail-rate');
    for (const k of ['redeliverMs', 'ackDelayMs', 'failEvery', 'dropEvery'] as const) {
      if (!(Number.isFinite(f[k]) && f[k] >= 0)) throw new ValidationError(`${k} must be a number ≥ 0`, k);
    }
  }

  onCommand(listener: (c: ReceivedCommand) => void): () => void {
    this.commandListeners.add(listener);
    return () => this.commandListeners.delete(listener);
  }

  onClient(listener: (n: ClientNotice) => void): () => void {
    this.clientListeners.add(listener);
    return () => this.clientListeners.delete(listener);
  }

  // ───────────── waiting ─────────────

  private waitFor(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    if (check()) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`simulator stopped while waiting for ${what()}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          if (!check()) return false;
          if (waiter.timer) clearTimeout(waiter.timer);
          resolve();
          return true;
        },
        reject: (err) => {
          if (waiter.timer) clearTimeout(waiter.timer);
          reject(err);
        },
        timer: null,
      };
      if (withTimeout(timeoutMs)) {
        waiter.timer = setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
        }, timeoutMs);
      }
      this.waiters.add(waiter);
    });
  }

  private changed(): void {
    for (const w of [...this.waiters]) if (w.check()) this.waiters.delete(w);
  }

  /** Until a client is connected (at once if one is). `timeoutMs` 0 waits forever. */
  waitForClient(timeoutMs = 5_000): Promise<void> {
    return this.waitFor(() => this.clients.size > 0, timeoutMs, () => 'a client to connect');
  }

  /** Until `total` connections have been accepted since the start (reconnects count). */
  waitForConnections(total: number, timeoutMs = 5_000): Promise<void> {
    return this.waitFor(() => this.count.connections >= total, timeoutMs, () => `${total} connections (have ${this.count.connections})`);
  }

  waitForAck(eventId: string, timeoutMs = 5_000): Promise<void> {
    return this.waitFor(() => this.events.get(eventId)?.acked === true, timeoutMs, () => `the ack of event ${eventId}`);
  }

  /** Until every pushed event has been acked. */
  waitForAllAcked(timeoutMs = 5_000): Promise<void> {
    return this.waitFor(
      () => this.count.events_acked >= this.count.events_pushed,
      timeoutMs,
      () => `all events acked (${this.count.events_acked} of ${this.count.events_pushed})`,
    );
  }

  /**
   * The next `n` commands not yet returned by an earlier call (so a command that arrived before the call is not
   * missed), in arrival order.
   */
  async nextCommands(n: number, timeoutMs = 5_000): Promise<ReceivedCommand[]> {
    await this.waitFor(() => this.log.length - this.cursor >= n, timeoutMs, () => `${n} commands (${this.log.length - this.cursor} arrived)`);
    const out = this.log.slice(this.cursor, this.cursor + n);
    this.cursor += n;
    return out;
  }

  /** Every command received so far. */
  get commands(): readonly ReceivedCommand[] {
    return this.log;
  }

  counters(): SimCounters {
    return { ...this.count, clients: this.clients.size };
  }

  summary(): SimSummary {
    return {
      url: this.url,
      ...this.counters(),
      commands: this.log.map((c) => ({
        seq: c.seq,
        cmd: c.cmd,
        req_id: c.req_id,
        to_id: c.data.to_id,
        ...(c.cmd === 'send_text' ? { content: c.data.content } : { file_url: c.data.file_url, file_path: c.data.file_path }),
        ok: c.result.ok,
        code: c.result.code,
        duplicate: c.duplicate,
        ack: c.ack,
      })),
    };
  }

  // ───────────── pushing ─────────────

  private nextId(prefix: string): string {
    this.seq++;
    return `${prefix}-${this.run}-${this.seq}`;
  }

  /** Pushes a customer's message event to every client (queued until one connects). Returns at once. */
  pushMessage(input: SimMessageInput): SimPushed {
    if (typeof input.from_id !== 'string' || input.from_id.trim() === '') throw new ValidationError('from_id must be a non-empty string', 'from_id');
    if (typeof input.content !== 'string') throw new ValidationError('content must be a string', 'content');
    const now = Date.now();
    const msgId = input.msg_id ?? this.nextId('m');
    const data: Record<string, unknown> = {
      msg_id: msgId,
      acc_id: input.acc_id ?? this.accId,
      from_id: input.from_id,
      ...(input.from_name !== undefined ? { from_name: input.from_name } : {}),
      chat_type: input.chat_type ?? 'single',
      msg_type: input.msg_type ?? 'text',
      content: input.content,
      is_self: input.is_self ?? false,
      send_time: now,
      ...(input.file ? { file: input.file } : {}),
    };
    const eventId = input.event_id ?? this.nextId('e');
    this.count.messages_pushed++;
    this.track(eventId, JSON.stringify({ type: 'event', event: 'message', event_id: eventId, ts: now, data }), true);
    return { event_id: eventId, msg_id: msgId };
  }

  /** Pushes another event (`login`, `logout`, `ready`, `error`, …) with `data`. */
  pushEvent(event: string, data: Record<string, unknown> = {}): SimPushed {
    const eventId = this.nextId('e');
    this.track(eventId, JSON.stringify({ type: 'event', event, event_id: eventId, ts: Date.now(), data }), false);
    return { event_id: eventId };
  }

  async pushMessageAndWaitAck(input: SimMessageInput, timeoutMs = 5_000): Promise<SimPushed> {
    const pushed = this.pushMessage(input);
    await this.waitForAck(pushed.event_id, timeoutMs);
    return pushed;
  }

  /**
   * Writes a frame as it is to every client: a string verbatim (malformed frames, aliases), an object as JSON, and
   * bytes as a binary frame, or as a text frame with `{ binary: false }` (bytes that need not be valid UTF-8).
   */
  sendRaw(frame: string | object | Buffer, options: { binary?: boolean } = {}): number {
    const isBytes = Buffer.isBuffer(frame);
    const data = isBytes ? frame : typeof frame === 'string' ? frame : JSON.stringify(frame);
    let n = 0;
    for (const ws of this.clients) {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(data, { binary: isBytes ? (options.binary ?? true) : false });
        n++;
      }
    }
    return n;
  }

  /** Drops every connection abruptly (no close frame), as a crashing bridge would. Returns how many. */
  dropConnections(): number {
    let n = 0;
    for (const ws of this.clients) {
      ws.terminate();
      n++;
    }
    this.count.drops += n;
    return n;
  }

  private track(eventId: string, frame: string, isMessage: boolean): void {
    if (this.events.has(eventId)) throw new ValidationError(`event_id ${eventId} was already pushed`, 'event_id');
    const ev: TrackedEvent = { frame, isMessage, acked: false, redeliver: true, deliveries: 0, timer: null };
    this.events.set(eventId, ev);
    this.count.events_pushed++;
    if (this.deliver(ev, [...this.clients])) this.armRedelivery(eventId, ev);
  }

  private deliver(ev: TrackedEvent, to: WebSocket[]): boolean {
    let n = 0;
    for (const ws of to) {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(ev.frame);
        n++;
      }
    }
    if (n === 0) return false;
    if (ev.deliveries > 0) this.count.redeliveries++;
    ev.deliveries++;
    return true;
  }

  private armRedelivery(eventId: string, ev: TrackedEvent): void {
    if (ev.timer) clearTimeout(ev.timer);
    ev.timer = null;
    if (!ev.redeliver || this.faults.redeliverMs <= 0 || this.stopped) return;
    ev.timer = setTimeout(() => {
      ev.timer = null;
      if (ev.acked || this.stopped) return;
      if (this.deliver(ev, [...this.clients])) this.armRedelivery(eventId, ev);
      // With no client, the next connection delivers it.
    }, this.faults.redeliverMs);
  }

  // ───────────── connections ─────────────

  private onConnection(ws: WebSocket, remote: string): void {
    if (this.stopped) {
      ws.terminate();
      return;
    }
    this.clients.add(ws);
    this.count.connections++;
    ws.on('message', (data) => this.onFrame(ws, data));
    ws.on('error', () => {
      // a reset socket: 'close' follows
    });
    ws.on('close', () => {
      this.clients.delete(ws);
      this.notifyClient({ kind: 'disconnected', remote, clients: this.clients.size });
      this.changed();
    });
    if (this.announce) {
      for (const [event, data] of [
        ['login', { acc_id: this.accId, nickname: '轻简模拟' }],
        ['ready', { accounts: [this.accId] }],
      ] as const) {
        const eventId = this.nextId('e');
        const ev: TrackedEvent = {
          frame: JSON.stringify({ type: 'event', event, event_id: eventId, ts: Date.now(), data }),
          isMessage: false,
          acked: false,
          redeliver: false,
          deliveries: 0,
          timer: null,
        };
        this.events.set(eventId, ev);
        this.count.events_pushed++;
        this.deliver(ev, [ws]);
      }
    }
    for (const [eventId, ev] of this.events) {
      if (ev.acked || !ev.redeliver) continue;
      if (this.deliver(ev, [ws])) this.armRedelivery(eventId, ev);
    }
    this.notifyClient({ kind: 'connected', remote, clients: this.clients.size });
    this.changed();
  }

  private notifyClient(n: ClientNotice): void {
    for (const l of this.clientListeners) l(n);
  }

  private onFrame(ws: WebSocket, raw: RawData): void {
    let frame: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : raw.toString());
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      frame = parsed as Record<string, unknown>;
    } catch {
      this.count.malformed++;
      return;
    }
    switch (frame.type) {
      case 'ack': {
        const ev = typeof frame.event_id === 'string' ? this.events.get(frame.event_id) : undefined;
        if (!ev) {
          this.count.malformed++;
          return;
        }
        if (!ev.acked) {
          ev.acked = true;
          if (ev.timer) clearTimeout(ev.timer);
          ev.timer = null;
          this.count.events_acked++;
          if (ev.isMessage) this.count.messages_acked++;
          this.changed();
        }
        return;
      }
      case 'ping':
        this.count.pings++;
        if (this.faults.answerPings && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'pong', ts: frame.ts ?? Date.now() }));
        return;
      case 'cmd':
        this.onCommandFrame(ws, frame);
        return;
      default:
        this.count.malformed++;
    }
  }

  private onCommandFrame(ws: WebSocket, frame: Record<string, unknown>): void {
    const reqId = typeof frame.req_id === 'string' && frame.req_id !== '' ? frame.req_id : null;
    const cmd = typeof frame.cmd === 'string' ? frame.cmd : '';
    const data = typeof frame.data === 'object' && frame.data !== null && !Array.isArray(frame.data) ? (frame.data as Record<string, unknown>) : {};
    if (!reqId) {
      this.count.malformed++;
      return;
    }
    this.count.sends_received++;
    const record = (result: SimAckResult, extra: Partial<ReceivedCommand>): ReceivedCommand => {
      const c: ReceivedCommand = { seq: this.log.length + 1, at: Date.now(), cmd, req_id: reqId, data, duplicate: false, result, injected: false, ack: 'sent', ...extra };
      this.log.push(c);
      return c;
    };
    const cached = this.results.get(reqId);
    if (cached) {
      this.count.duplicates++;
      const c = record(cached, { duplicate: true });
      this.answer(ws, c);
      return;
    }
    const invalid = checkCommandData(cmd, data);
    if (invalid) {
      this.count.invalid_commands++;
      const c = record({ ok: false, code: invalid.code, msg: invalid.msg, msg_id: null }, {});
      this.answer(ws, c);
      return;
    }
    const n = ++this.newSends;
    const f = this.faults;
    const injected = (f.failEvery > 0 && n % f.failEvery === 0) || (f.failRate > 0 && this.random() < f.failRate);
    let c: ReceivedCommand;
    if (injected) {
      this.count.failures_injected++;
      c = record({ ok: false, code: f.failCode, msg: f.failMessage, msg_id: null }, { injected: true });
    } else {
      const result: SimAckResult = { ok: true, code: 0, msg: 'ok', msg_id: this.nextId('sent') };
      this.results.set(reqId, result);
      this.count.sends_delivered++;
      c = record(result, {});
    }
    if (f.dropEvery > 0 && n % f.dropEvery === 0) {
      c.ack = 'connection_dropped';
      this.notifyCommand(c);
      this.count.drops++;
      ws.terminate();
      return;
    }
    this.answer(ws, c);
  }

  private answer(ws: WebSocket, c: ReceivedCommand): void {
    const f = this.faults;
    const r = c.result;
    const frame = JSON.stringify(
      r.ok ? { type: 'ack', req_id: c.req_id, ok: true, code: 0, msg: r.msg, data: { msg_id: r.msg_id } } : { type: 'ack', req_id: c.req_id, ok: false, code: r.code, msg: r.msg },
    );
    if (f.dropAcks) {
      c.ack = 'dropped';
      this.count.acks_dropped++;
    } else if (f.ackDelayMs > 0) {
      c.ack = 'delayed';
      const t = setTimeout(() => {
        this.ackTimers.delete(t);
        if (ws.readyState === WebSocket.OPEN) ws.send(frame);
      }, f.ackDelayMs);
      this.ackTimers.add(t);
    } else if (ws.readyState === WebSocket.OPEN) {
      ws.send(frame);
    }
    this.notifyCommand(c);
  }

  private notifyCommand(c: ReceivedCommand): void {
    for (const l of this.commandListeners) l(c);
    this.changed();
  }

  /** Closes every connection and the server; pending waits reject. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const ev of this.events.values()) if (ev.timer) clearTimeout(ev.timer);
    for (const t of this.ackTimers) clearTimeout(t);
    this.ackTimers.clear();
    for (const w of this.waiters) w.reject(new Error('simulator stopped'));
    this.waiters.clear();
    for (const ws of this.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** Why a command cannot be carried out (ok:false, not retryable), or null. */
function checkCommandData(cmd: string, d: Record<string, unknown>): { code: number; msg: string } | null {
  const str = (v: unknown) => typeof v === 'string' && v.trim() !== '';
  if (cmd !== 'send_text' && cmd !== 'send_file') return { code: 4004, msg: `unknown cmd "${cmd}"` };
  if (!str(d.acc_id)) return { code: 4000, msg: 'acc_id is required' };
  if (!str(d.to_id)) return { code: 4000, msg: 'to_id is required' };
  if (cmd === 'send_text') return str(d.content) ? null : { code: 4000, msg: 'content is required' };
  if (d.kind !== 'file' && d.kind !== 'image') return { code: 4000, msg: 'kind must be file or image' };
  if (!str(d.file_url) && !str(d.file_path)) return { code: 4000, msg: 'file_url or file_path is required' };
  return null;
}
