/**
 * Events the simulator pushes to the daemon, kept until one client acks them: delivered to every connected client,
 * again every `redeliverMs`, and to each new connection. Announcements (`login`, `ready` on connecting) go to one
 * connection and are not delivered again.
 */
import WebSocket from 'ws';
import { ValidationError } from '../errors.js';
import type { SimCounters } from './qingjian-sim-types.js';

interface TrackedEvent {
  frame: string;
  isMessage: boolean;
  acked: boolean;
  /** Announcements are sent per connection and not delivered again. */
  redeliver: boolean;
  deliveries: number;
  timer: NodeJS.Timeout | null;
}

export class SimEvents {
  private readonly events = new Map<string, TrackedEvent>();
  private stopped = false;

  constructor(
    private readonly count: Omit<SimCounters, 'clients'>,
    private readonly redeliverMs: () => number,
    private readonly clients: () => WebSocket[],
  ) {}

  isAcked(eventId: string): boolean {
    return this.events.get(eventId)?.acked === true;
  }

  /** Delivers a new event to every client now and until acked. */
  push(eventId: string, frame: string, isMessage: boolean): void {
    if (this.events.has(eventId)) throw new ValidationError(`event_id ${eventId} was already pushed`, 'event_id');
    const ev: TrackedEvent = { frame, isMessage, acked: false, redeliver: true, deliveries: 0, timer: null };
    this.events.set(eventId, ev);
    this.count.events_pushed++;
    if (this.deliver(ev, this.clients())) this.armRedelivery(ev);
  }

  /** An event for one connection only, not delivered again. */
  announce(ws: WebSocket, eventId: string, frame: string): void {
    const ev: TrackedEvent = { frame, isMessage: false, acked: false, redeliver: false, deliveries: 0, timer: null };
    this.events.set(eventId, ev);
    this.count.events_pushed++;
    this.deliver(ev, [ws]);
  }

  /** A new connection gets every event not acked yet. */
  replayTo(ws: WebSocket): void {
    for (const ev of this.events.values()) {
      if (ev.acked || !ev.redeliver) continue;
      if (this.deliver(ev, [ws])) this.armRedelivery(ev);
    }
  }

  /** Records an ack; false when it names no event pushed (a malformed ack). */
  ack(eventId: unknown): boolean {
    const ev = typeof eventId === 'string' ? this.events.get(eventId) : undefined;
    if (!ev) return false;
    if (!ev.acked) {
      ev.acked = true;
      if (ev.timer) clearTimeout(ev.timer);
      ev.timer = null;
      this.count.events_acked++;
      if (ev.isMessage) this.count.messages_acked++;
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
    for (const ev of this.events.values()) if (ev.timer) clearTimeout(ev.timer);
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

  private armRedelivery(ev: TrackedEvent): void {
    if (ev.timer) clearTimeout(ev.timer);
    ev.timer = null;
    const every = this.redeliverMs();
    if (!ev.redeliver || every <= 0 || this.stopped) return;
    ev.timer = setTimeout(() => {
      ev.timer = null;
      if (ev.acked || this.stopped) return;
      if (this.deliver(ev, this.clients())) this.armRedelivery(ev);
      // With no client, the next connection delivers it.
    }, every);
  }
}
