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
 *
 * Parts: this file holds the server, its connections and the frames; sim-events.ts the pushed events until acked,
 * sim-commands.ts the answers to commands, sim-waiters.ts the waits, qingjian-sim-types.ts the shapes.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { ValidationError } from '../errors.js';
import {
  DEFAULT_SIM_ACC_ID,
  DEFAULT_SIM_PORT,
  type ClientNotice,
  type QingjianSimOptions,
  type ReceivedCommand,
  type SimCounters,
  type SimFaults,
  type SimMessageInput,
  type SimPushed,
  type SimSummary,
} from './qingjian-sim-types.js';
import { SimCommands } from './sim-commands.js';
import { SimEvents } from './sim-events.js';
import { SimWaiters } from './sim-waiters.js';

export * from './qingjian-sim-types.js';

export class QingjianSimulator {
  readonly accId: string;
  private readonly faults: SimFaults;
  private readonly announce: boolean;
  private readonly random: () => number;
  private readonly run = randomBytes(3).toString('hex');
  private seq = 0;
  private readonly clients = new Set<WebSocket>();
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
  private readonly waiters = new SimWaiters();
  private readonly events: SimEvents;
  private readonly sends: SimCommands;

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
    this.events = new SimEvents(
      this.count,
      () => this.faults.redeliverMs,
      () => [...this.clients],
    );
    this.sends = new SimCommands({
      count: this.count,
      faults: this.faults,
      random: this.random,
      nextId: (prefix) => this.nextId(prefix),
      changed: () => this.waiters.changed(),
    });
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
        if (err.code === 'EADDRINUSE')
          reject(new ValidationError(`port ${port} on ${host} is already in use (try --port 0 for a free one)`, 'port'));
        else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
          reject(new ValidationError(`cannot listen on ${host}: ${err.message}`, 'host'));
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
    return this.sends.onCommand(listener);
  }

  onClient(listener: (n: ClientNotice) => void): () => void {
    this.clientListeners.add(listener);
    return () => this.clientListeners.delete(listener);
  }

  // ───────────── waiting ─────────────

  private waitFor(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    return this.waiters.waitFor(check, timeoutMs, what);
  }

  private changed(): void {
    this.waiters.changed();
  }

  /** Until a client is connected (at once if one is). `timeoutMs` 0 waits forever. */
  waitForClient(timeoutMs = 5_000): Promise<void> {
    return this.waitFor(
      () => this.clients.size > 0,
      timeoutMs,
      () => 'a client to connect',
    );
  }

  /** Until `total` connections have been accepted since the start (reconnects count). */
  waitForConnections(total: number, timeoutMs = 5_000): Promise<void> {
    return this.waitFor(
      () => this.count.connections >= total,
      timeoutMs,
      () => `${total} connections (have ${this.count.connections})`,
    );
  }

  waitForAck(eventId: string, timeoutMs = 5_000): Promise<void> {
    return this.waitFor(
      () => this.events.isAcked(eventId),
      timeoutMs,
      () => `the ack of event ${eventId}`,
    );
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
    const s = this.sends;
    await this.waitFor(
      () => s.log.length - s.cursor >= n,
      timeoutMs,
      () => `${n} commands (${s.log.length - s.cursor} arrived)`,
    );
    const out = s.log.slice(s.cursor, s.cursor + n);
    s.cursor += n;
    return out;
  }

  /** Every command received so far. */
  get commands(): readonly ReceivedCommand[] {
    return this.sends.log;
  }

  counters(): SimCounters {
    return { ...this.count, clients: this.clients.size };
  }

  summary(): SimSummary {
    return { url: this.url, ...this.counters(), commands: this.sends.summaries() };
  }

  // ───────────── pushing ─────────────

  private nextId(prefix: string): string {
    this.seq++;
    return `${prefix}-${this.run}-${this.seq}`;
  }

  /** Pushes a customer's message event to every client (queued until one connects). Returns at once. */
  pushMessage(input: SimMessageInput): SimPushed {
    if (typeof input.from_id !== 'string' || input.from_id.trim() === '')
      throw new ValidationError('from_id must be a non-empty string', 'from_id');
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
    this.events.push(eventId, JSON.stringify({ type: 'event', event: 'message', event_id: eventId, ts: now, data }), true);
    return { event_id: eventId, msg_id: msgId };
  }

  /** Pushes another event (`login`, `logout`, `ready`, `error`, …) with `data`. */
  pushEvent(event: string, data: Record<string, unknown> = {}): SimPushed {
    const eventId = this.nextId('e');
    this.events.push(eventId, JSON.stringify({ type: 'event', event, event_id: eventId, ts: Date.now(), data }), false);
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
        this.events.announce(ws, eventId, JSON.stringify({ type: 'event', event, event_id: eventId, ts: Date.now(), data }));
      }
    }
    this.events.replayTo(ws);
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
      case 'ack':
        if (this.events.ack(frame.event_id)) this.changed();
        else this.count.malformed++;
        return;
      case 'ping':
        this.count.pings++;
        if (this.faults.answerPings && ws.readyState === WebSocket.OPEN)
          ws.send(JSON.stringify({ type: 'pong', ts: frame.ts ?? Date.now() }));
        return;
      case 'cmd':
        this.sends.handle(ws, frame);
        return;
      default:
        this.count.malformed++;
    }
  }

  /** Closes every connection and the server; pending waits reject. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.events.stop();
    this.sends.stop();
    this.waiters.stop();
    for (const ws of this.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
