/**
 * The daemon's `cmd` frames as the simulator answers them: each is recorded; acked `ok:true` with a generated msg_id
 * unless a fault says otherwise. Results are cached by req_id: a repeated req_id gets the first result again and
 * counts as a duplicate, not as a second delivery; failed sends are not cached (nothing was sent, so a repeat is a new
 * try). Acks are written literally, as DESIGN.md shows them.
 */
import WebSocket from 'ws';
import type { ReceivedCommand, SimAckResult, SimCounters, SimFaults, SimSummary } from './qingjian-sim-types.js';

export interface SimCommandsContext {
  count: Omit<SimCounters, 'clients'>;
  faults: SimFaults;
  random: () => number;
  nextId: (prefix: string) => string;
  /** The simulator's state changed (waits are checked again). */
  changed: () => void;
}

export class SimCommands {
  private readonly results = new Map<string, SimAckResult>();
  readonly log: ReceivedCommand[] = [];
  /** How many of `log` nextCommands() has returned. */
  cursor = 0;
  private newSends = 0;
  private readonly ackTimers = new Set<NodeJS.Timeout>();
  private readonly listeners = new Set<(c: ReceivedCommand) => void>();

  constructor(private readonly ctx: SimCommandsContext) {}

  onCommand(listener: (c: ReceivedCommand) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What `aics sim qingjian --json` prints of each command. */
  summaries(): SimSummary['commands'] {
    return this.log.map((c) => ({
      seq: c.seq,
      cmd: c.cmd,
      req_id: c.req_id,
      to_id: c.data.to_id,
      ...(c.cmd === 'send_text' ? { content: c.data.content } : { file_url: c.data.file_url, file_path: c.data.file_path }),
      ok: c.result.ok,
      code: c.result.code,
      duplicate: c.duplicate,
      ack: c.ack,
    }));
  }

  handle(ws: WebSocket, frame: Record<string, unknown>): void {
    const { count } = this.ctx;
    const reqId = typeof frame.req_id === 'string' && frame.req_id !== '' ? frame.req_id : null;
    const cmd = typeof frame.cmd === 'string' ? frame.cmd : '';
    const data =
      typeof frame.data === 'object' && frame.data !== null && !Array.isArray(frame.data) ? (frame.data as Record<string, unknown>) : {};
    if (!reqId) {
      count.malformed++;
      return;
    }
    count.sends_received++;
    const record = (result: SimAckResult, extra: Partial<ReceivedCommand>): ReceivedCommand => {
      const c: ReceivedCommand = {
        seq: this.log.length + 1,
        at: Date.now(),
        cmd,
        req_id: reqId,
        data,
        duplicate: false,
        result,
        injected: false,
        ack: 'sent',
        ...extra,
      };
      this.log.push(c);
      return c;
    };
    const cached = this.results.get(reqId);
    if (cached) {
      count.duplicates++;
      const c = record(cached, { duplicate: true });
      this.answer(ws, c);
      return;
    }
    const invalid = checkCommandData(cmd, data);
    if (invalid) {
      count.invalid_commands++;
      const c = record({ ok: false, code: invalid.code, msg: invalid.msg, msg_id: null }, {});
      this.answer(ws, c);
      return;
    }
    const n = ++this.newSends;
    const f = this.ctx.faults;
    const injected = (f.failEvery > 0 && n % f.failEvery === 0) || (f.failRate > 0 && this.ctx.random() < f.failRate);
    let c: ReceivedCommand;
    if (injected) {
      count.failures_injected++;
      c = record({ ok: false, code: f.failCode, msg: f.failMessage, msg_id: null }, { injected: true });
    } else {
      const result: SimAckResult = { ok: true, code: 0, msg: 'ok', msg_id: this.ctx.nextId('sent') };
      this.results.set(reqId, result);
      count.sends_delivered++;
      c = record(result, {});
    }
    if (f.dropEvery > 0 && n % f.dropEvery === 0) {
      c.ack = 'connection_dropped';
      this.notify(c);
      count.drops++;
      ws.terminate();
      return;
    }
    this.answer(ws, c);
  }

  stop(): void {
    for (const t of this.ackTimers) clearTimeout(t);
    this.ackTimers.clear();
  }

  private answer(ws: WebSocket, c: ReceivedCommand): void {
    const f = this.ctx.faults;
    const r = c.result;
    const frame = JSON.stringify(
      r.ok
        ? { type: 'ack', req_id: c.req_id, ok: true, code: 0, msg: r.msg, data: { msg_id: r.msg_id } }
        : { type: 'ack', req_id: c.req_id, ok: false, code: r.code, msg: r.msg },
    );
    if (f.dropAcks) {
      c.ack = 'dropped';
      this.ctx.count.acks_dropped++;
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
    this.notify(c);
  }

  private notify(c: ReceivedCommand): void {
    for (const l of this.listeners) l(c);
    this.ctx.changed();
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
