/**
 * How the agent's answers reach customers: each part is stored (agent_replies) before it is sent and removed once
 * the bridge acked it, so nothing is dropped while 轻简 is away or the daemon restarts.
 *
 * - While the bridge is not connected a part waits for it (no attempt is spent); a send that never left waits again.
 * - Parts go out paced per account, each after a last look at the conversation: a human who took over meanwhile
 *   (or 转接人工, unless this turn did it) wins and the part is dropped.
 * - An in-doubt send is repeated with the same req_id, at most MAX_SENDS_PER_REQUEST times; a definite retryable
 *   refusal moves to the next req_id, up to MAX_REFUSALS; a permanent one drops the part. Each drop is logged.
 * - At most `cap` parts are queued (AICS_AGENT_REPLY_QUEUE_MAX); past it a new answer is dropped with one error
 *   line naming the cap.
 * - halt() (shutdown) ends every wait at once: what is not sent stays stored and resume() sends it at the next start.
 */
import { createHash } from 'node:crypto';
import type { QueuedReply, QueuedReplyInput, Store } from '../../store/index.js';
import { MAX_SENDS_PER_REQUEST } from '../engine/action-runner.js';
import { errorText, isInDoubt, isNotSent, isRetryable, type Logger, type MessageSender } from '../ports.js';
import type { Pacer } from './pacer.js';

/** Definite refusals (ok:false, retryable) of one part before it is dropped. */
const MAX_REFUSALS = 3;

export type DeliveryOutcome = 'sent' | 'held' | 'human' | 'takeover' | 'failed';

export interface ReplyQueueOptions {
  store: Store;
  sender: MessageSender;
  pacer: Pacer;
  logger: Logger;
  cap: number;
  /**
   * Which stored answers this process sends on resume(): a `serve --multi` worker only its own customers' (another
   * worker sends the rest; two would send them twice); absent: every one of this bridge's accounts.
   */
  ownsCustomer?: (accId: string, fromId: string) => boolean;
}

export class ReplyQueue {
  private readonly abort = new AbortController();
  private seq = 0;

  constructor(private readonly o: ReplyQueueOptions) {}

  get halted(): boolean {
    return this.abort.signal.aborted;
  }

  /** Stores the parts of one answer; null (logged) when the queue is full. */
  async enqueue(
    conv: { acc_id: string; from_id: string },
    parts: readonly string[],
    meta: Omit<QueuedReplyInput, 'acc_id' | 'from_id' | 'text' | 'req_base'>,
  ): Promise<QueuedReply[] | null> {
    const base = `AGENT_${createHash('md5').update(`${conv.acc_id}:${conv.from_id}`).digest('hex').slice(0, 10)}_${Date.now().toString(36)}_${++this.seq}`;
    const inputs = parts.map((text, i) => ({
      acc_id: conv.acc_id,
      from_id: conv.from_id,
      text,
      req_base: parts.length > 1 ? `${base}.${i + 1}` : base,
      ...meta,
      // The first part carries the turn's provider, latency and tool calls into the chat log.
      latency_ms: i === 0 ? meta.latency_ms : null,
      tool_calls: i === 0 ? meta.tool_calls : null,
    }));
    const ids = await this.o.store.replies.enqueue(inputs, this.o.cap);
    if (!ids) {
      this.o.logger.error(
        { customer_id: conv.from_id, acc_id: conv.acc_id, cap: this.o.cap },
        `agent: reply queue full (${this.o.cap} answers wait for 轻简, AICS_AGENT_REPLY_QUEUE_MAX): the answer to ${conv.from_id} is dropped`,
      );
      return null;
    }
    return inputs.map((input, i) => ({ ...input, id: ids[i]!, attempt: 1, sends: 0, created_at: '' }));
  }

  /** Sends one stored part; resolves when it was sent, dropped, or held for the next start (halt). */
  async deliver(reply: QueuedReply): Promise<DeliveryOutcome> {
    const { store, sender, logger } = this.o;
    const signal = this.abort.signal;
    let { attempt, sends } = reply;
    let refusals = 0;
    const log = { customer_id: reply.from_id, acc_id: reply.acc_id };
    for (;;) {
      if (!(await this.sendable())) return 'held';
      await this.o.pacer.slot(reply.acc_id, signal);
      if (signal.aborted) return 'held';
      // Just before sending: a human who took over meanwhile (or handed over, if this turn did not) wins.
      const now = await store.agent.state(reply.acc_id, reply.from_id);
      if (now.state === 'takeover' || (now.state === 'human' && !reply.handoff)) {
        logger.info({ ...log, state: now.state }, `agent: reply to ${reply.from_id} dropped: a human took over`);
        await store.replies.remove(reply.id);
        return now.state;
      }
      const reqId = `${reply.req_base}#${attempt}`;
      try {
        // A customer is waiting for this answer: it goes before queued task sends on the account (AICS_SEND_RATE).
        await sender.sendText({ acc_id: reply.acc_id, to_id: reply.from_id, content: reply.text }, reqId, { priority: 'urgent' });
        await store.agent.logMessage({
          acc_id: reply.acc_id,
          from_id: reply.from_id,
          role: 'agent',
          text: reply.text,
          provider: reply.provider,
          latency_ms: reply.latency_ms,
          tool_calls: reply.tool_calls,
        });
        await store.replies.remove(reply.id);
        return 'sent';
      } catch (error) {
        const why = errorText(error);
        if (isNotSent(error)) continue; // the bridge went away before it left: wait for it, no attempt spent
        logger.warn({ ...log, req_id: reqId, error: why }, `agent: send to ${reply.from_id} failed: ${why}`);
        if (isInDoubt(error)) {
          sends++;
          if (sends >= MAX_SENDS_PER_REQUEST)
            return this.drop(reply, `req_id ${reqId} went out ${sends} times without an ack (it may have arrived)`);
        } else if (!isRetryable(error) || ++refusals >= MAX_REFUSALS) {
          return this.drop(reply, why);
        } else {
          attempt++;
          sends = 0;
        }
        await store.replies.progress(reply.id, attempt, sends);
        await sleep(200 * Math.max(1, refusals), signal);
      }
    }
  }

  /** The parts a previous daemon left (an outage, a stop), oldest first, sent one after another. */
  async resume(): Promise<number> {
    if (!(await this.o.store.replies.count())) return 0;
    if (!(await this.sendable())) return 0;
    // Several daemons on one database each serve their own accounts: each sends the answers of the accounts its
    // bridge reports (all of them when it reports none).
    const ours = new Set(this.o.sender.accounts?.() ?? []);
    const owns = this.o.ownsCustomer ?? (() => true);
    const left = (await this.o.store.replies.list()).filter((r) => (!ours.size || ours.has(r.acc_id)) && owns(r.acc_id, r.from_id));
    if (!left.length) return 0;
    this.o.logger.info({ count: left.length }, `agent: sending ${left.length} answer part(s) left from before`);
    let sent = 0;
    for (const reply of left) {
      if (this.halted) break;
      if ((await this.deliver(reply)) === 'sent') sent++;
    }
    return sent;
  }

  /** Ends every wait now: what is not sent stays stored for the next start. */
  halt(): void {
    this.abort.abort();
  }

  private async drop(reply: QueuedReply, why: string): Promise<DeliveryOutcome> {
    this.o.logger.error(
      { customer_id: reply.from_id, acc_id: reply.acc_id, error: why },
      `agent: reply to ${reply.from_id} not sent: ${why}`,
    );
    await this.o.store.replies.remove(reply.id);
    return 'failed';
  }

  /** Resolves true once a send can leave (at once when it can), false when halted. */
  private sendable(): Promise<boolean> {
    const signal = this.abort.signal;
    if (signal.aborted) return Promise.resolve(false);
    const { sender } = this.o;
    if (!sender.isConnected || sender.isConnected()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        off?.();
        signal.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = () => done(false);
      const off = sender.onConnected?.(() => done(true));
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
