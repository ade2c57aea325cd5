/**
 * Group commit: writes that arrive together (in one turn of the event loop, e.g. a burst of POST
 * /api/task/receive) are committed in one IMMEDIATE transaction, each inside its own savepoint, so that one commit
 * (and one fsync where synchronous=FULL) serves them all. Each caller's promise settles only after the commit: an
 * answer is never sent for a write that is not yet durable. A write that throws rolls back its own savepoint and
 * rejects alone; a commit that fails rejects every write of the batch (none of them is stored).
 */
import type { Statement } from 'better-sqlite3';
import { translateSqliteError, type Db } from './connection.js';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private static readonly perConnection = new WeakMap<Db, GroupCommit>();

  /** The connection's one group: the task store's receives and the agent's chat log commit together. */
  static of(db: Db, file: string): GroupCommit {
    let group = GroupCommit.perConnection.get(db);
    if (!group) {
      group = new GroupCommit(db, file);
      GroupCommit.perConnection.set(db, group);
    }
    return group;
  }

  private queue: Pending[] = [];
  /** Prepared once: db.transaction() per write built a new wrapper each time (a tenth of intake's CPU, profiled). */
  private readonly savepoint: { begin: Statement; release: Statement; rollback: Statement };

  constructor(
    private readonly db: Db,
    private readonly file: string,
  ) {
    this.savepoint = {
      begin: db.prepare('SAVEPOINT group_write'),
      release: db.prepare('RELEASE group_write'),
      rollback: db.prepare('ROLLBACK TO group_write'),
    };
  }

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      // The first write of a turn schedules the commit; the rest of the turn's writes join it.
      if (this.queue.length === 1) setImmediate(() => this.commit());
    });
  }

  /** One write in its own savepoint: a refused write rolls back alone and leaves the others in. */
  private inSavepoint(work: () => unknown): { ok: true; value: unknown } | { ok: false; error: unknown } {
    const { begin, release, rollback } = this.savepoint;
    begin.run();
    try {
      const value = work();
      release.run();
      return { ok: true, value };
    } catch (error) {
      rollback.run();
      release.run();
      return { ok: false, error };
    }
  }

  private commit(): void {
    const batch = this.queue;
    this.queue = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.db
        .transaction(() => {
          for (const item of batch) outcomes.push(this.inSavepoint(item.work));
        })
        .immediate();
    } catch (error) {
      const failed = translateSqliteError(error, this.file);
      for (const item of batch) item.reject(failed);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(translateSqliteError(outcome.error, this.file));
    });
  }
}
