/**
 * The trigger engine: each customer message is matched against the waiting tasks that could fire on it, then
 * recorded once (durable de-duplication on acc_id + msg_id, and the contacts book) together with the claims of the
 * matching tasks in one transaction, and those tasks are run — several matches all fire, each once, in priority
 * then arrival order.
 *
 * Lookups stay fast with many waiting tasks: tasks naming a customer are found through an index by from_id; the
 * tasks any customer can fire are held in memory behind a keyword index (./any-customer-tasks.ts).
 */
import type { ClaimScope, Store, TakenMessage, TaskRecord } from '../../store/index.js';
import { PRIORITY_RANK, matchesTrigger, unscopedCustomer, type CustomerMessage } from '../../tasks/index.js';
import type { Logger } from '../ports.js';
import type { ActionRunner } from './action-runner.js';
import { AnyCustomerTasks } from './any-customer-tasks.js';
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
  private readonly anyCustomer: AnyCustomerTasks;
  private readonly inFlight = new Set<Promise<void>>();
  /** Settles once the message accepted last has handed its take to the store (see claimMatches). */
  private inLine: Promise<void> = Promise.resolve();
  /**
   * Each customer's take still committing. On a pool (PostgreSQL) takes handed over in order still commit in
   * parallel, so a customer's next take waits for their previous one: their first message fires the task.
   */
  private readonly committing = new Map<string, Promise<void>>();

  constructor(private readonly o: TriggerEngineOptions) {
    this.anyCustomer = new AnyCustomerTasks(o.store.tasks);
  }

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
    // Matched first (reads only), then recorded, claimed and marked handled in ONE commit (InboundStore.take): one
    // write transaction in front of the send instead of record + each claim + handled. The takes go to the store in
    // arrival order (a customer's messages claim in the order they wrote them), whatever each one's matching awaited.
    const before = this.inLine;
    let handedOver!: () => void;
    this.inLine = new Promise<void>((resolve) => (handedOver = resolve));
    let taking: Promise<TakenMessage>;
    let matches: { task: TaskRecord; keyword: string }[];
    try {
      matches = await this.matching(message);
      await before;
      const target = { acc_id: message.acc_id, from_id: message.from_id, from_name: message.from_name ?? null, msg_id: message.msg_id };
      const claims = matches.map(({ task, keyword }) => ({
        taskId: task.task_id,
        options: { owner: this.o.owner, leaseMs: this.o.leaseMs, target, reason: `任务触发: ${message.from_id} said "${keyword}"` },
      }));
      taking = this.afterCustomersLastTake(message, () => store.inbound.take(message, claims));
    } finally {
      handedOver();
    }
    const { recorded, claimed } = await taking;
    if (recorded === 'duplicate') {
      logger.debug({ acc_id: message.acc_id, msg_id: message.msg_id }, 'duplicate message ignored');
      return { handled: { duplicate: true, fired: [] }, claimed: [] };
    }
    const won: TaskRecord[] = [];
    matches.forEach(({ task, keyword }, i) => {
      this.anyCustomer.forget(task.task_id);
      const claim = claimed[i];
      if (!claim) return; // another daemon (or message) was first, or it just expired
      logger.info(
        { task_id: task.task_id, customer_id: message.from_id, acc_id: message.acc_id, msg_id: message.msg_id, keyword },
        `${LOG_WORDS.triggered} ${task.task_id}: ${message.from_name ?? message.from_id} said "${keyword}"`,
      );
      won.push(claim);
    });
    // Handled again after a crash: the tasks it fired the first time count as fired (the agent stays quiet).
    const fired = recorded === 'resumed' ? await store.tasks.firedBy(message.acc_id, message.msg_id) : won.map((t) => t.task_id);
    return { handled: { duplicate: false, fired }, claimed: won };
  }

  /** Runs `take` once the customer's previous take has committed (at once when none is under way). */
  private afterCustomersLastTake(message: InboundMessage, take: () => Promise<TakenMessage>): Promise<TakenMessage> {
    const key = `${message.acc_id}\u0000${message.from_id}`;
    const previous = this.committing.get(key);
    const taking = previous ? previous.then(take) : take();
    const done = taking.then(
      () => undefined,
      () => undefined,
    );
    this.committing.set(key, done);
    void done.then(() => {
      if (this.committing.get(key) === done) this.committing.delete(key);
    });
    return taking;
  }

  private async matching(message: InboundMessage): Promise<{ task: TaskRecord; keyword: string }[]> {
    const named = await this.o.store.tasks.waitingForCustomer(message.from_id);
    // The candidate lists are each in arrival order; the named customer's come first, as they always have.
    const candidates = [
      ...named.map((task, order) => ({ task, order })),
      ...(await this.anyCustomer.candidates(message.content)).map((h) => ({ task: h.task, order: named.length + h.order })),
    ];
    const out: { task: TaskRecord; keyword: string; order: number }[] = [];
    const scoped = this.o.scope?.()?.accounts !== undefined;
    for (const { task, order } of candidates) {
      // A daemon serving some accounts fires, for a message, only that account's tasks and those with no account.
      if (scoped && task.acc_id !== null && task.acc_id !== message.acc_id) continue;
      if (this.o.scopeAnyCustomer) {
        const customer = unscopedCustomer(task);
        if (customer !== null && customer !== message.from_id) continue;
      }
      const m = matchesTrigger(task, message);
      if (m) out.push({ task, keyword: m.keyword, order });
    }
    // Priority first, then arrival (created_at, then the order above).
    return out.sort((a, b) => rank(b.task) - rank(a.task) || a.task.created_at.localeCompare(b.task.created_at) || a.order - b.order);
  }
}

const rank = (t: TaskRecord) => PRIORITY_RANK[t.priority] ?? PRIORITY_RANK.normal;
