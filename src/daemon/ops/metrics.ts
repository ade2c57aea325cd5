/**
 * GET /metrics: the daemon in the Prometheus text format (prom-client), one registry per daemon.
 *
 * Two sources, so the engine's modules carry no metrics code:
 *   - state read at scrape time: tasks by status and trigger (the store), the outbox backlog and its age, the
 *     轻简 bridge (connected, accounts online, reconnects, sends), the pause, and prom-client's process metrics
 *     (event-loop lag, RSS, heap, CPU);
 *   - events seen as they happen: the log lines the engine writes anyway, whose leading words are the seed's
 *     contract (LOG_WORDS: 任务触发, 任务完成, 派单, 转接人工 …), observed through the logger (openLog's `observe`),
 *     and the timing of every send, through a wrapper around the sender.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LOG_WORDS } from '../../log.js';
import type { Store } from '../../store/index.js';
import type { MessageSender } from '../ports.js';

/** What the metrics read of the bridge's state (the 轻简 client's state() has these and more). */
export interface BridgeReadings {
  connected: boolean;
  accounts: Record<string, { status: string }>;
  reconnects: number;
  received: number;
  send_failed: number;
}

export interface MetricsSources {
  store: Store;
  bridge: () => BridgeReadings | null;
  paused: () => boolean;
  clock: () => number;
}

/** Seconds: sends take milliseconds to a minute (files); message→send spans backoffs too. */
const SEND_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const FLOW_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
const LLM_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40];
/** Triggered tasks whose completion we still wait for, to time message→send; bounded so a leak cannot grow. */
const MAX_OPEN_FIRES = 10_000;

export class DaemonMetrics {
  readonly registry = new Registry();
  private sources: MetricsSources | null = null;
  private readonly firedAt = new Map<string, number>();
  private readonly fires: Counter<'source'>;
  private readonly outcomes: Counter<'outcome'>;
  private readonly sendSeconds: Histogram<'kind' | 'outcome'>;
  private readonly messageToSend: Histogram;
  private readonly turns: Counter<'provider' | 'outcome'>;
  private readonly llmSeconds: Histogram<'provider'>;
  private readonly llmErrors: Counter<'provider'>;
  private readonly handoffs: Counter;
  private readonly dispatches: Counter<'repeat'>;
  private readonly received: Counter;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Gauges that prom-client names like counters: promtool's lint refuses them, and RSS, heap and event-loop lag
    // (the ones operators alert on) stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(name);
    }
    // prom-client calls collect() with `this` bound to the metric: the daemon's state is reached through `self`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.received = new Counter({ name: 'aics_tasks_received_total', help: 'Tasks stored (任务接收) by this daemon', registers });
    this.fires = new Counter({
      name: 'aics_task_fires_total',
      help: 'Tasks fired (任务触发), by what fired them: a customer message or the clock',
      labelNames: ['source'],
      registers,
    });
    this.outcomes = new Counter({
      name: 'aics_task_outcomes_total',
      help: 'How task attempts ended here: completed, retried, failed, expired, cancelled, recovered (a lapsed lease taken back)',
      labelNames: ['outcome'],
      registers,
    });
    this.sendSeconds = new Histogram({
      name: 'aics_send_duration_seconds',
      help: 'One send to the 轻简 bridge, until its ack',
      labelNames: ['kind', 'outcome'],
      buckets: SEND_BUCKETS,
      registers,
    });
    this.messageToSend = new Histogram({
      name: 'aics_message_to_send_seconds',
      help: "From a customer's message firing a task to its action's completed send (retries included)",
      buckets: FLOW_BUCKETS,
      registers,
    });
    this.turns = new Counter({
      name: 'aics_agent_turns_total',
      help: 'Agent turns, by provider and outcome (answered, failed)',
      labelNames: ['provider', 'outcome'],
      registers,
    });
    this.llmSeconds = new Histogram({
      name: 'aics_llm_latency_seconds',
      help: 'Time the agent took to produce an answer, by provider',
      labelNames: ['provider'],
      buckets: LLM_BUCKETS,
      registers,
    });
    this.llmErrors = new Counter({
      name: 'aics_llm_errors_total',
      help: 'LLM calls that failed or timed out (the agent fell back to the rules or a handoff)',
      labelNames: ['provider'],
      registers,
    });
    this.handoffs = new Counter({ name: 'aics_handoffs_total', help: 'Conversations handed to a human (转接人工)', registers });
    this.dispatches = new Counter({
      name: 'aics_dispatches_total',
      help: 'Orders dispatched to Tianwang (派单); repeat="true" for a repeat that was not sent again',
      labelNames: ['repeat'],
      registers,
    });

    new Gauge({
      name: 'aics_tasks',
      help: 'Tasks in the database by status and trigger type',
      labelNames: ['status', 'trigger_type'],
      registers,
      async collect() {
        this.reset();
        const s = self.sources;
        if (!s) return;
        for (const c of await s.store.ops.taskCounts()) this.set({ status: c.status, trigger_type: c.trigger_type }, c.count);
      },
    });
    new Gauge({
      name: 'aics_outbox_backlog',
      help: 'Callbacks, 派单 orders and handoff notices not yet accepted by Tianwang',
      registers,
      async collect() {
        const s = self.sources;
        if (s) this.set((await s.store.outbox.backlog()).count);
      },
    });
    new Gauge({
      name: 'aics_outbox_oldest_age_seconds',
      help: 'Age of the oldest undelivered outbox item (0 when none): alert on it',
      registers,
      async collect() {
        const s = self.sources;
        if (!s) return;
        const { oldest_at } = await s.store.outbox.backlog();
        this.set(oldest_at ? Math.max(0, (s.clock() - Date.parse(oldest_at)) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'aics_paused',
      help: '1 while the desk is paused (aics pause): nothing fires or is sent',
      registers,
      collect() {
        this.set(self.sources?.paused() ? 1 : 0);
      },
    });
    const bridge = () => self.sources?.bridge() ?? null;
    new Gauge({
      name: 'aics_bridge_connected',
      help: '1 while the 轻简 bridge is connected (absent in --api-only)',
      registers,
      collect() {
        this.reset();
        const b = bridge();
        if (b) this.set(b.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'aics_bridge_accounts_online',
      help: 'WeCom accounts the bridge reports logged in',
      registers,
      collect() {
        this.reset();
        const b = bridge();
        if (b) this.set(Object.values(b.accounts).filter((a) => a.status === 'online').length);
      },
    });
    // The bridge keeps these counts itself; exported as counters read at scrape time.
    const bridgeCounter = (name: string, help: string, read: (b: BridgeReadings) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const b = bridge();
          if (!b) return;
          this.reset();
          this.inc(read(b));
        },
      });
    bridgeCounter('aics_bridge_reconnects_total', 'Connections to the bridge re-established after a loss', (b) => b.reconnects);
    bridgeCounter('aics_bridge_messages_total', 'Customer messages the bridge delivered (duplicates not counted)', (b) => b.received);
    bridgeCounter('aics_bridge_send_failures_total', 'Sends that ended in an error from or about the bridge', (b) => b.send_failed);
  }

  /** The daemon's parts, once they exist (a scrape before that shows the process metrics only). */
  attach(sources: MetricsSources): void {
    this.sources = sources;
  }

  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  /** The sender with every send timed. */
  timeSends(sender: MessageSender): MessageSender {
    const timed = async <T>(kind: string, send: () => Promise<T>): Promise<T> => {
      const end = this.sendSeconds.startTimer({ kind });
      try {
        const result = await send();
        end({ outcome: 'ok' });
        return result;
      } catch (error) {
        end({ outcome: 'error' });
        throw error;
      }
    };
    return {
      ...sender,
      sendText: (c, r) => timed('text', () => sender.sendText(c, r)),
      sendFile: (c, r) => timed(c.kind === 'image' ? 'image' : 'file', () => sender.sendFile(c, r)),
    };
  }

  /** Every log record (openLog's observe): the events worth counting, recognised by their leading words. */
  observe(fields: Record<string, unknown>, msg: string): void {
    const taskId = typeof fields.task_id === 'string' ? fields.task_id : null;
    if (msg.startsWith(LOG_WORDS.triggered)) {
      const fromMessage = typeof fields.msg_id === 'string';
      this.fires.inc({ source: fromMessage ? 'message' : 'clock' });
      if (taskId && fromMessage) {
        if (this.firedAt.size >= MAX_OPEN_FIRES) this.firedAt.delete(this.firedAt.keys().next().value!);
        this.firedAt.set(taskId, this.sources?.clock() ?? Date.now());
      }
    } else if (msg.startsWith(LOG_WORDS.completed)) {
      if (msg.includes('no longer ours')) return;
      this.outcomes.inc({ outcome: 'completed' });
      const at = taskId ? this.firedAt.get(taskId) : undefined;
      if (taskId && at !== undefined) {
        this.messageToSend.observe(Math.max(0, ((this.sources?.clock() ?? Date.now()) - at) / 1000));
        this.firedAt.delete(taskId);
      }
    } else if (msg.startsWith(LOG_WORDS.failed)) {
      this.outcomes.inc({ outcome: 'failed' });
      if (taskId) this.firedAt.delete(taskId);
    } else if (msg.startsWith(LOG_WORDS.retried)) this.outcomes.inc({ outcome: 'retried' });
    else if (msg.startsWith(LOG_WORDS.expired)) this.outcomes.inc({ outcome: 'expired' });
    else if (msg.startsWith(LOG_WORDS.cancelled)) this.outcomes.inc({ outcome: 'cancelled' });
    else if (msg.startsWith(LOG_WORDS.recovered)) this.outcomes.inc({ outcome: 'recovered' });
    else if (msg.startsWith(LOG_WORDS.received)) {
      if (!fields.duplicate) this.received.inc();
    } else if (msg.startsWith(LOG_WORDS.handoff)) this.handoffs.inc();
    else if (msg.startsWith(LOG_WORDS.dispatched)) this.dispatches.inc({ repeat: msg.includes('already dispatched') ? 'true' : 'false' });
    else if (msg.startsWith('agent: answered')) {
      const provider = String(fields.provider ?? 'unknown');
      this.turns.inc({ provider, outcome: 'answered' });
      if (typeof fields.latency_ms === 'number') this.llmSeconds.observe({ provider }, fields.latency_ms / 1000);
    } else if (msg.startsWith('agent: turn failed')) this.turns.inc({ provider: 'unknown', outcome: 'failed' });
    else if (msg.startsWith('agent: ') && typeof fields.failures === 'number' && typeof fields.provider === 'string') {
      this.llmErrors.inc({ provider: fields.provider });
    }
  }
}
