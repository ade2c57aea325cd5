/**
 * Customer messages from the bridge to the handlers, at least once and each once:
 * - de-duplicated on (acc_id, msg_id) over the last `capacity` keys (FIFO; the engine also de-duplicates durably);
 * - handed to every handler in arrival order; acked only once all of them settled well. If one throws or rejects, the
 *   message is not acked and its key is forgotten, so the bridge's re-delivery gives it another try;
 * - a re-delivery that arrives while the first delivery is still in the handlers is held and acked with it.
 */
import type { Logger } from '../ports.js';
import type { BridgeMessage } from './protocol.js';

export type MessageHandler = (message: BridgeMessage) => void | Promise<void>;

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

export class MessageDelivery {
  private readonly seen: RecentKeys;
  /** Messages in the handlers right now → event ids to ack when they settle. */
  private readonly inHandlers = new Map<string, string[]>();
  private readonly handlers = new Set<MessageHandler>();
  /** Messages handed to the handlers (duplicates not counted); messages dropped as already seen. */
  readonly counts = { received: 0, duplicates: 0 };

  constructor(
    capacity: number,
    private readonly log: Logger,
    /** Acks an event on the current connection. */
    private readonly ackEvent: (eventId: string) => void,
  ) {
    this.seen = new RecentKeys(capacity);
  }

  onMessage(handler: MessageHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  deliver(m: BridgeMessage): void {
    const key = `${m.acc_id}\u0000${m.msg_id}`;
    if (this.seen.has(key)) {
      this.counts.duplicates++;
      this.log.debug(
        { component: 'qingjian', acc_id: m.acc_id, msg_id: m.msg_id, event_id: m.event_id },
        '轻简 duplicate message: acked again, not delivered',
      );
      if (m.event_id) this.ackEvent(m.event_id);
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
      for (const id of eventIds) this.ackEvent(id);
    });
  }

  /** Calls every handler in turn (synchronously, so they see messages in arrival order); true when all settled well. */
  private async dispatch(m: BridgeMessage): Promise<boolean> {
    const results: unknown[] = [];
    let ok = true;
    for (const h of this.handlers) {
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
      this.log.warn(
        { component: 'qingjian', acc_id: m.acc_id, msg_id: m.msg_id, event_id: m.event_id },
        '轻简 message not acked (a handler failed): the bridge will deliver it again',
      );
    }
    return ok;
  }
}
