/**
 * The trigger engine: each customer message is recorded once (durable de-duplication on acc_id + msg_id, and the
 * contacts book), matched against the waiting tasks that could fire on it, and every matching task is claimed
 * atomically and run — several matches all fire, each once, in priority then arrival order.
 *
 * Lookups stay fast with many waiting tasks: tasks naming a customer are found through an index by from_id; the
 * tasks any customer can fire are held in memory and reloaded only when the store's change token moves.
 */
import type { ClaimScope, Store, TaskRecord } from '../../store/index.js';
import { PRIORITY_RANK, matchesTrigger, unscopedCustomer, type CustomerMessage } from '../../tasks/index.js';
import type { Logger } from '../ports.js';
import type { ActionRunner } from './action-runner.js';
import { LOG_WORDS } from '../../log.js';

export interface InboundMessage extends CustomerMessage {
  msg_id: string;
}

export interface HandledMessage {
  duplicate: boolean;
  fired: string[];
}

export interface TriggerEngineOptions {
  store: Store;
  runner: ActionRunner;
  logger: Logger;
  owner: string;
  leaseMs: number;
  /** AICS_SCOPE_ANY_CUSTOMER: an any-customer trigger in a task naming a customer fires only on that customer. */
  scopeAnyCustomer?: boolean;
  /**
   * What this daemon may fire (several daemons on one database): with `accounts`, a message fires only tasks for
   * the account it came through or with no account, so that a task goes out through the account it names.
   */
  scope?: () => ClaimScope | undefined;
}

export class TriggerEngine {
  private anyCustomer: { token: string; tasks: Promise<TaskRecord[]> } | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: TriggerEngineOptions) {}

  /**
   * Records a customer message and claims every task it fires; resolves once they are claimed (the bridge acks the
   * event then: a crash after this point is covered by the tasks' leases). The actions run on in the background,
   * one after another in priority order, so the customer receives them in that order.
   */
  async accept(message: InboundMessage): Promise<HandledMessage> {
    const { handled, claimed } = await this.claimMatches(message);
    if (claimed.length) {
      const runs = (async () => {
        for (const task of claimed) await this.o.runner.run(task);
      })();
      this.inFlight.add(runs);
      void runs.finally(() => this.inFlight.delete(runs));
    }
    return handled;
  }

  /** accept(), then wait until the actions it started have run their attempt. */
  async handle(message: InboundMessage): Promise<HandledMessage> {
    const handled = await this.accept(message);
    await this.drain();
    return handled;
  }

  /** Waits for the actions under way (bounded by the caller's timeout on shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private async claimMatches(message: InboundMessage): Promise<{ handled: HandledMessage; claimed: TaskRecord[] }> {
    const { store, logger } = this.o;
    // Our own account's messages are never customer replies (the agent reads them as a human takeover).
    if (message.is_self) return { handled: { duplicate: false, fired: [] }, claimed: [] };
    const recorded = await store.inbound.record(message);
    if (recorded === 'duplicate') {
      logger.debug({ acc_id: message.acc_id, msg_id: message.msg_id }, 'duplicate message ignored');
      return { handled: { duplicate: true, fired: [] }, claimed: [] };
    }
    const claimed: TaskRecord[] = [];
    for (const { task, keyword } of await this.matching(message)) {
      const won = await store.tasks.claim(task.task_id, {
        owner: this.o.owner,
        leaseMs: this.o.leaseMs,
        target: { acc_id: message.acc_id, from_id: message.from_id, from_name: message.from_name ?? null, msg_id: message.msg_id },
        reason: `任务触发: ${message.from_id} said "${keyword}"`,
      });
      this.forgetClaimed(task.task_id);
      if (!won) continue; // another daemon (or message) was first, or it just expired
      logger.info(
        { task_id: task.task_id, customer_id: message.from_id, acc_id: message.acc_id, msg_id: message.msg_id, keyword },
        `${LOG_WORDS.triggered} ${task.task_id}: ${message.from_name ?? message.from_id} said "${keyword}"`,
      );
      claimed.push(won);
    }
    await store.inbound.handled(message.acc_id, message.msg_id);
    // Handled again after a crash: the tasks it fired the first time count as fired (the agent stays quiet).
    const fired = recorded === 'resumed' ? await store.tasks.firedBy(message.acc_id, message.msg_id) : claimed.map((t) => t.task_id);
    return { handled: { duplicate: false, fired }, claimed };
  }

  private async matching(message: InboundMessage): Promise<{ task: TaskRecord; keyword: string }[]> {
    const candidates = [...(await this.o.store.tasks.waitingForCustomer(message.from_id)), ...(await this.anyCustomerTasks())];
    const out: { task: TaskRecord; keyword: string; order: number }[] = [];
    const scoped = this.o.scope?.()?.accounts !== undefined;
    candidates.forEach((task, order) => {
      if (scoped && task.acc_id !== null && task.acc_id !== message.acc_id) return;
      if (this.o.scopeAnyCustomer) {
        const named = unscopedCustomer(task);
        if (named !== null && named !== message.from_id) return;
      }
      const m = matchesTrigger(task, message);
      if (m) out.push({ task, keyword: m.keyword, order });
    });
    // Priority first, then arrival (created_at; the candidate lists are each already in arrival order).
    return out.sort((a, b) => rank(b.task) - rank(a.task) || a.task.created_at.localeCompare(b.task.created_at) || a.order - b.order);
  }

  /**
   * The waiting tasks any customer can fire, kept in memory until new tasks may have become waiting. Concurrent
   * messages share one read; a task claimed here leaves the list at once, and one claimed or ended elsewhere only
   * costs a claim that loses.
   */
  private async anyCustomerTasks(): Promise<TaskRecord[]> {
    const token = await this.o.store.tasks.waitingSetToken();
    if (this.anyCustomer?.token !== token) {
      const tasks = this.o.store.tasks.waitingForAnyCustomer();
      this.anyCustomer = { token, tasks };
      tasks.catch(() => {
        if (this.anyCustomer?.tasks === tasks) this.anyCustomer = null; // read again next time
      });
    }
    return this.anyCustomer.tasks;
  }

  private forgetClaimed(taskId: string): void {
    const cached = this.anyCustomer;
    if (!cached) return;
    cached.tasks = cached.tasks.then((tasks) =>
      tasks.some((t) => t.task_id === taskId) ? tasks.filter((t) => t.task_id !== taskId) : tasks,
    );
  }
}

const rank = (t: TaskRecord) => PRIORITY_RANK[t.priority] ?? PRIORITY_RANK.normal;
