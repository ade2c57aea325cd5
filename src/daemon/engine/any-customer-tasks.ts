/**
 * The waiting tasks any customer can fire, held in memory with a keyword index (issue 15, matching): a message costs
 * one pass over its text, not a keyword check per task, and the list is brought up to date from the store's changes
 * (TaskStore.anyCustomerChangesSince) rather than read again whole. A store without that method is read in full
 * whenever its waiting-set token moves, as before.
 */
import type { AnyCustomerChanges, TaskRecord, TaskStore } from '../../store/index.js';
import { KeywordIndex, describeTrigger } from '../../tasks/index.js';

export interface HeldTask {
  task: TaskRecord;
  /** Arrival order among the held tasks (the store lists them oldest first). */
  order: number;
}

export class AnyCustomerTasks {
  private cursor: string | null = null;
  private readonly held = new Map<string, HeldTask>();
  private index = new KeywordIndex();
  /** Tasks whose trigger has no keywords to index: checked on every message. */
  private readonly unindexed = new Set<string>();
  private nextOrder = 0;
  /** One read of the store shared by the messages that arrive while it runs. */
  private refreshing: Promise<void> | null = null;

  constructor(private readonly tasks: TaskStore) {}

  /** The held tasks that could fire on this message (their trigger's own match decides). */
  async candidates(content: string): Promise<HeldTask[]> {
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = null;
    });
    await this.refreshing;
    const ids = this.index.candidates(content);
    for (const id of this.unindexed) ids.add(id);
    return [...ids].map((id) => this.held.get(id)!);
  }

  /** A task claimed (or found gone) leaves the list at once. */
  forget(taskId: string): void {
    this.held.delete(taskId);
    this.index.remove(taskId);
    this.unindexed.delete(taskId);
  }

  private async refresh(): Promise<void> {
    const changes = await this.changesSince(this.cursor);
    if (changes.reset) {
      this.held.clear();
      this.unindexed.clear();
      this.index = new KeywordIndex();
    }
    for (const task of changes.tasks) this.hold(task);
    this.cursor = changes.cursor;
  }

  private hold(task: TaskRecord): void {
    if (this.held.has(task.task_id)) return;
    this.held.set(task.task_id, { task, order: this.nextOrder++ });
    const keywords = describeTrigger(task.trigger).keywords?.(task.trigger);
    if (keywords) this.index.add({ id: task.task_id, words: keywords.words, exact: keywords.exact });
    else this.unindexed.add(task.task_id);
  }

  private async changesSince(cursor: string | null): Promise<AnyCustomerChanges> {
    if (this.tasks.anyCustomerChangesSince) return this.tasks.anyCustomerChangesSince(cursor);
    const token = await this.tasks.waitingSetToken();
    if (token === cursor) return { cursor, reset: false, tasks: [] };
    return { cursor: token, reset: true, tasks: await this.tasks.waitingForAnyCustomer() };
  }
}
