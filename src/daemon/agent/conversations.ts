/**
 * The conversation manager: what the daemon hands every bridge message to, after the trigger engine.
 *
 * - Every message goes to the chat log (customers', and a human's typed on our account), files and images included.
 * - One conversation (acc_id:from_id) is handled one turn at a time; a burst of messages is merged into one turn:
 *   the turn starts after `quietMs` without a new message, or `maxWaitMs` after the burst's first message.
 * - At most AICS_LLM_CONNECTIONS turns think at once (read the store, wait for the LLM); a conversation whose burst is
 *   complete waits in line for a place as itself, not as a turn already started, and what the customer adds while
 *   in line joins that turn (one answer, one request).
 * - `is_self` is never answered: it pauses the agent for that customer (takeover, `takeoverMinutes`).
 * - A message that fired a task is answered by the task's action, not by the agent (unless `answerTriggers`).
 * - The conversation's state (AI / human / takeover) is read from the store before a turn and again just before
 *   each send, so a human who took over meanwhile, or `aics agent release` from another process, counts at once.
 * - Replies are masked (sensitive words), split when long, paced per account, and logged with provider, latency
 *   and tool calls.
 *
 * accept() never throws and returns as soon as the message is logged: the bridge acks then, and the turn runs on.
 */
import type { ChatFile } from '../../store/index.js';
import { errorText } from '../ports.js';
import type { AgentInbound, ConversationManagerOptions, EngineOutcome, TurnOutcome } from './conversation-contract.js';
import { maskSensitive, splitReply } from './reply-text.js';
import type { TurnResult } from './responder.js';
import type { Conversation } from './tools.js';

export type { AgentConfig, AgentInbound, ConversationManagerOptions, EngineOutcome, TurnOutcome } from './conversation-contract.js';

interface Pending {
  id: number;
  content: string;
  msg_type: string;
  file: ChatFile | null;
}

interface ConvState {
  conv: Conversation;
  pending: Pending[];
  firstAt: number | null;
  timer: NodeJS.Timeout | null;
  running: Promise<TurnOutcome> | null;
  /** In the thinking gate's line: its turn starts when a place is free. */
  queued: boolean;
}

export class ConversationManager {
  private readonly convs = new Map<string, ConvState>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly o: ConversationManagerOptions) {}

  /** Logs the message and schedules the turn; never throws. */
  async accept(message: AgentInbound, outcome: EngineOutcome = { duplicate: false, fired: [] }): Promise<void> {
    try {
      if (outcome.duplicate) return;
      const c = this.conv(message);
      if (message.is_self) {
        await this.humanTyped(message, c);
        return;
      }
      const id = await this.logInbound(message);
      if (outcome.fired.length && !this.o.config.answerTriggers) {
        this.o.logger.debug(
          { customer_id: message.from_id, fired: outcome.fired },
          'agent: the message fired a task; its action is the answer',
        );
        this.forget(c);
        return;
      }
      c.pending.push({ id, content: message.content, msg_type: message.msg_type ?? 'text', file: message.file ?? null });
      this.schedule(c);
    } catch (error) {
      this.o.logger.error({ customer_id: message.from_id, acc_id: message.acc_id, error: errorText(error) }, `agent: ${errorText(error)}`);
    }
  }

  /**
   * Logs the message and runs its turn now (no burst window), resolving with what was sent: the dialogue tools'
   * way in. Turns of one conversation still run one at a time.
   */
  async converse(message: AgentInbound): Promise<TurnOutcome | null> {
    const c = this.conv(message);
    if (message.is_self) {
      await this.humanTyped(message, c);
      return null;
    }
    const id = await this.logInbound(message);
    c.pending.push({ id, content: message.content, msg_type: message.msg_type ?? 'text', file: message.file ?? null });
    while (c.running) await c.running.catch(() => undefined);
    return this.flush(c);
  }

  /** Runs the bursts still waiting now and waits for every turn under way (shutdown). */
  async drain(): Promise<void> {
    for (const c of this.convs.values()) {
      if (c.timer && c.pending.length) {
        clearTimeout(c.timer);
        c.timer = null;
        if (!c.running) this.ready(c);
      }
    }
    // A conversation in the gate's line is not in flight, but the line only exists while every place is held by a
    // turn in flight, and a place passes to the next in line before the turn that held it settles.
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** No new turns; waits for those under way. */
  async stop(): Promise<void> {
    await this.drain();
    this.halt();
  }

  /**
   * Shutdown after the drain timeout: no new turns, and every answer still waiting (for the bridge, for its pacing
   * slot) stops waiting; it stays stored and goes out at the next start (resume).
   */
  halt(): void {
    this.stopped = true;
    this.o.replies.halt();
    for (const c of this.convs.values()) if (c.timer) clearTimeout(c.timer);
    this.convs.clear();
  }

  /** Sends the answers a previous daemon left unsent (an outage, a stop); runs on in the background. */
  resume(): void {
    const run = this.o.replies.resume().catch((error) => {
      this.o.logger.error({ error: errorText(error) }, `agent: answers left from before: ${errorText(error)}`);
    });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  /** Conversations held in memory (bursts waiting or turns running): for the bench and tests. */
  get active(): number {
    return this.convs.size;
  }

  /** Conversations whose burst is complete, waiting in line for a thinking place: for the bench and tests. */
  get waiting(): number {
    return this.o.thinking?.queued ?? 0;
  }

  private conv(m: AgentInbound): ConvState {
    const key = `${m.acc_id}:${m.from_id}`;
    let c = this.convs.get(key);
    if (!c) {
      c = {
        conv: { acc_id: m.acc_id, from_id: m.from_id, from_name: m.from_name ?? null },
        pending: [],
        firstAt: null,
        timer: null,
        running: null,
        queued: false,
      };
      this.convs.set(key, c);
    } else if (m.from_name && !m.is_self) c.conv.from_name = m.from_name;
    return c;
  }

  private forget(c: ConvState) {
    if (!c.pending.length && !c.running && !c.timer && !c.queued) this.convs.delete(`${c.conv.acc_id}:${c.conv.from_id}`);
  }

  private async humanTyped(message: AgentInbound, c: ConvState) {
    const { store, logger, clock, config } = this.o;
    await store.agent.logMessage({
      ...message,
      role: 'human',
      text: message.content,
      msg_type: message.msg_type,
      file: message.file ?? null,
    });
    if (config.takeoverMinutes > 0) {
      await store.agent.takeover(message.acc_id, message.from_id, clock() + config.takeoverMinutes * 60_000);
      logger.info(
        { customer_id: message.from_id, acc_id: message.acc_id, minutes: config.takeoverMinutes },
        `agent: a human replied to ${message.from_id} on our account; the agent pauses for ${config.takeoverMinutes} min`,
      );
    }
    // What the customer said before the human answered is the human's to answer now.
    c.pending = [];
    c.firstAt = null;
    if (c.timer) clearTimeout(c.timer);
    c.timer = null;
    this.forget(c);
  }

  private logInbound(m: AgentInbound): Promise<number> {
    return this.o.store.agent.logMessage({
      acc_id: m.acc_id,
      from_id: m.from_id,
      role: 'customer',
      text: m.content,
      msg_id: m.msg_id,
      msg_type: m.msg_type ?? 'text',
      file: m.file ?? null,
    });
  }

  private schedule(c: ConvState) {
    if (this.stopped) return;
    const now = Date.now();
    if (c.firstAt === null) c.firstAt = now;
    const { quietMs, maxWaitMs } = this.o.config;
    const delay = Math.max(0, Math.min(quietMs, c.firstAt + maxWaitMs - now));
    if (c.timer) clearTimeout(c.timer);
    c.timer = setTimeout(() => {
      c.timer = null;
      // A turn under way: this burst starts when it ends (see flush's finally). In line: it joins that turn.
      if (c.running || c.queued) return;
      if (c.pending.length) this.ready(c);
      else this.forget(c);
    }, delay);
  }

  /** The burst is complete: its turn starts now, or once a thinking place is free (see `thinking`). */
  private ready(c: ConvState) {
    const gate = this.o.thinking;
    if (!gate) {
      void this.flush(c, false);
      return;
    }
    if (c.queued) return;
    c.queued = true;
    gate.offer(() => {
      c.queued = false;
      // Stopped, or converse() ran this conversation's turn meanwhile (its end readies what is pending): the place
      // goes to the next in line.
      if (this.stopped || c.running || !c.pending.length) {
        if (!this.stopped) this.forget(c);
        return false;
      }
      void this.flush(c, true);
      return true;
    });
  }

  /** Runs the turn of what is pending; `placeHeld`: the turn was given its thinking place (ready()). */
  private flush(c: ConvState, placeHeld = false): Promise<TurnOutcome> {
    const batch = c.pending;
    c.pending = [];
    c.firstAt = null;
    const run = this.turn(c.conv, batch, placeHeld);
    c.running = run;
    this.inFlight.add(run);
    void run
      .catch(() => undefined)
      .finally(() => {
        this.inFlight.delete(run);
        c.running = null;
        // Messages that arrived during the turn: their burst window may have closed already.
        if (c.pending.length && !c.timer && !this.stopped) this.ready(c);
        else this.forget(c);
      });
    return run;
  }

  private async turn(conv: Conversation, batch: Pending[], placeHeld: boolean): Promise<TurnOutcome> {
    const { store, logger, responder, config } = this.o;
    // The thinking place this turn holds, freed once the provider answered (or on any early return or error).
    let holding = placeHeld;
    const leave = () => {
      if (holding) {
        holding = false;
        this.o.thinking!.leave();
      }
    };
    const silent = (why: TurnOutcome['silent'], r?: TurnResult): TurnOutcome => ({
      reply: r?.reply ?? null,
      provider: r?.provider ?? responder.providerName,
      latency_ms: r?.latency_ms ?? 0,
      tool_calls: r?.tool_calls ?? [],
      handoff: r?.handoff ?? false,
      orders: r?.orders ?? [],
      fallback_reason: r?.fallback_reason ?? null,
      sent: [],
      silent: why,
    });
    try {
      if (!batch.length) return silent('no reply');
      const think = async (): Promise<TurnResult | TurnOutcome['silent']> => {
        const before = await store.agent.state(conv.acc_id, conv.from_id);
        if (before.state !== 'ai') {
          logger.debug({ customer_id: conv.from_id, state: before.state }, `agent: silent for ${conv.from_id} (${before.state})`);
          return before.state;
        }
        const history =
          config.memoryTurns > 0 ? await store.agent.history(conv.acc_id, conv.from_id, config.memoryTurns * 2, batch[0]!.id) : [];
        const text = batch.map(describe).join('\n');
        const onlyFiles = batch.every((p) => p.file && !p.content.trim());
        // Turns of one conversation run one at a time, so the failures read above are still the count.
        return responder.respond({ conv, text, onlyFiles, history, failures: before.failures });
      };
      let thought: TurnResult | TurnOutcome['silent'];
      if (placeHeld) {
        try {
          thought = await think();
        } finally {
          leave();
        }
      } else thought = this.o.thinking ? await this.o.thinking.run(think) : await think();
      if (typeof thought === 'string' || thought === null) return this.done(conv, silent(thought));
      const result = thought;
      if (!result.reply) return this.done(conv, silent('no reply', result));
      const parts = splitReply(maskSensitive(result.reply, this.o.sensitiveWords), config.maxReplyChars);
      const { replies } = this.o;
      const queued = await replies.enqueue(conv, parts, {
        handoff: result.handoff,
        provider: result.provider,
        latency_ms: result.latency_ms,
        tool_calls: result.tool_calls,
      });
      if (!queued) return this.done(conv, silent('send failed', result));
      const sent: string[] = [];
      for (const [i, part] of queued.entries()) {
        const outcome = await replies.deliver(part);
        if (outcome === 'sent') {
          sent.push(part.text);
          continue;
        }
        // Held: the rest stays stored for the next start. Otherwise the rest of a dropped answer goes too.
        if (outcome !== 'held') for (const rest of queued.slice(i + 1)) await store.replies.remove(rest.id);
        return this.done(conv, { ...silent(outcome === 'failed' ? 'send failed' : outcome, result), sent });
      }
      logger.info(
        {
          customer_id: conv.from_id,
          acc_id: conv.acc_id,
          provider: result.provider,
          latency_ms: result.latency_ms,
          parts: sent.length,
          tools: result.tool_calls.map((t) => t.name),
        },
        `agent: answered ${conv.from_id} (${result.provider}, ${result.latency_ms} ms)`,
      );
      return this.done(conv, { ...result, sent, silent: null });
    } catch (error) {
      logger.error({ customer_id: conv.from_id, acc_id: conv.acc_id, error: errorText(error) }, `agent: turn failed: ${errorText(error)}`);
      return silent('no reply');
    } finally {
      leave();
    }
  }

  private done(conv: Conversation, outcome: TurnOutcome): TurnOutcome {
    this.o.onTurn?.(conv, outcome);
    return outcome;
  }
}

function describe(p: Pending): string {
  if (!p.file) return p.content;
  const label = p.msg_type === 'image' ? '图片' : '文件';
  const name = p.file.name ?? p.file.url ?? p.file.path ?? '';
  return [p.content.trim(), `[${label}: ${name}]`].filter(Boolean).join(' ');
}
